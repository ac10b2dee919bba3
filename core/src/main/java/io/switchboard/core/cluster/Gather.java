package io.switchboard.core.cluster;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.CompletableFuture;
import java.util.function.BiFunction;

/**
 * One cluster-wide listing in flight (rooms or connections): the nodes' answers as they arrive, this node's own
 * among them, complete when every node asked has answered or when the deadline calls {@link #finish}.
 * Thread-safe: the gather's monitor guards {@link #answers}.
 *
 * @param <T> one node's answer
 * @param <R> the merged result
 */
final class Gather<T, R> {
    private final Set<String> expected;
    private final Map<String, T> answers = new LinkedHashMap<>();
    /** Merges the answers received into the result, given the nodes that did not answer (sorted). */
    private final BiFunction<List<T>, List<String>, R> merge;
    final CompletableFuture<R> result = new CompletableFuture<>();

    /** @param expected the nodes asked, this one included */
    Gather(Set<String> expected, BiFunction<List<T>, List<String>, R> merge) {
        this.expected = Set.copyOf(expected);
        this.merge = merge;
    }

    /** One node's answer; a late one, a repeated one or one from a node not asked is ignored. */
    void add(String nodeId, T answer) {
        boolean done;
        synchronized (this) {
            if (result.isDone() || !expected.contains(nodeId) || answers.containsKey(nodeId)) {
                return;
            }
            answers.put(nodeId, answer);
            done = answers.size() == expected.size();
        }
        if (done) {
            finish();
        }
    }

    /** Completes with what arrived; the nodes that did not answer are reported as missing. */
    void finish() {
        R merged;
        synchronized (this) {
            if (result.isDone()) {
                return;
            }
            Set<String> missing = new TreeSet<>(expected);
            missing.removeAll(answers.keySet());
            try {
                merged = merge.apply(List.copyOf(answers.values()), List.copyOf(missing));
            } catch (RuntimeException e) {
                result.completeExceptionally(e); // a waiting caller hears of it rather than waiting forever
                return;
            }
        }
        result.complete(merged);
    }
}
