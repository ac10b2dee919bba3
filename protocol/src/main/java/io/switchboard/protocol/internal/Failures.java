package io.switchboard.protocol.internal;

import java.util.concurrent.CompletionException;
import java.util.concurrent.ExecutionException;

/** Helpers for the exceptions that asynchronous stages hand on. */
public final class Failures {
    private Failures() {
    }

    /** The failure itself, without the {@link CompletionException}s and {@link ExecutionException}s around it. */
    public static Throwable rootCause(Throwable e) {
        Throwable t = e;
        while ((t instanceof CompletionException || t instanceof ExecutionException) && t.getCause() != null) {
            t = t.getCause();
        }
        return t;
    }
}
