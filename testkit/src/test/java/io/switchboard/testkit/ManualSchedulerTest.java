package io.switchboard.testkit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.concurrent.CancellationException;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Future;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.junit.jupiter.api.Test;

class ManualSchedulerTest {
    private final ManualClock clock = new ManualClock(0, 0);
    private final ManualScheduler scheduler = new ManualScheduler(clock);
    /** What ran, as "name@elapsed-ms". */
    private final List<String> runs = new CopyOnWriteArrayList<>();

    private Runnable record(String name) {
        return () -> runs.add(name + "@" + clock.nanoTime() / 1_000_000);
    }

    @Test
    void nothingRunsUntilTimeIsAdvanced() {
        scheduler.execute(record("now"));
        scheduler.schedule(record("later"), 10, TimeUnit.MILLISECONDS);
        assertThat(runs).isEmpty();
        assertThat(scheduler.pendingTasks()).isEqualTo(2);
    }

    @Test
    void executeRunsOnTheNextRunDueWithoutMovingTheClock() {
        scheduler.execute(record("a"));
        scheduler.execute(record("b"));
        assertThat(scheduler.runDue()).isEqualTo(2);
        assertThat(runs).containsExactly("a@0", "b@0");
        assertThat(clock.nanoTime()).isZero();
    }

    @Test
    void advanceRunsDueTasksInTimeOrderWithTheClockAtEachTasksTime() {
        scheduler.schedule(record("c"), 30, TimeUnit.MILLISECONDS);
        scheduler.schedule(record("a"), 10, TimeUnit.MILLISECONDS);
        scheduler.schedule(record("b"), 20, TimeUnit.MILLISECONDS);
        scheduler.schedule(record("late"), 100, TimeUnit.MILLISECONDS);

        assertThat(scheduler.advance(Duration.ofMillis(50))).isEqualTo(3);

        assertThat(runs).containsExactly("a@10", "b@20", "c@30");
        assertThat(clock.nanoTime()).isEqualTo(Duration.ofMillis(50).toNanos());
        assertThat(scheduler.pendingTasks()).isEqualTo(1);
        assertThat(scheduler.nextDelay()).isEqualTo(Duration.ofMillis(50));
    }

    @Test
    void tasksDueAtTheSameTimeRunInTheOrderTheyWereScheduled() {
        for (int i = 0; i < 5; i++) {
            scheduler.schedule(record("t" + i), 5, TimeUnit.MILLISECONDS);
        }
        scheduler.advance(Duration.ofMillis(5));
        assertThat(runs).containsExactly("t0@5", "t1@5", "t2@5", "t3@5", "t4@5");
    }

    @Test
    void aTaskDueExactlyAtTheEndOfTheWindowRuns() {
        scheduler.schedule(record("edge"), 10, TimeUnit.MILLISECONDS);
        scheduler.advance(Duration.ofNanos(Duration.ofMillis(10).toNanos() - 1));
        assertThat(runs).isEmpty();
        scheduler.advance(Duration.ofNanos(1));
        assertThat(runs).containsExactly("edge@10");
    }

    @Test
    void tasksScheduledByARunningTaskRunInTheSameAdvanceWhenDueWithinIt() {
        scheduler.schedule(() -> {
            runs.add("outer@" + clock.nanoTime() / 1_000_000);
            scheduler.schedule(record("inner"), 5, TimeUnit.MILLISECONDS);
            scheduler.schedule(record("beyond"), 50, TimeUnit.MILLISECONDS);
        }, 10, TimeUnit.MILLISECONDS);

        scheduler.advance(Duration.ofMillis(20));

        assertThat(runs).containsExactly("outer@10", "inner@15");
        assertThat(scheduler.pendingTasks()).isEqualTo(1);
    }

    @Test
    void aNegativeDelayMeansNow() {
        scheduler.schedule(record("past"), -5, TimeUnit.SECONDS);
        scheduler.runDue();
        assertThat(runs).containsExactly("past@0");
    }

    @Test
    void callableResultsAreInTheirFutures() throws Exception {
        ScheduledFuture<String> f = scheduler.schedule(() -> "done", 1, TimeUnit.SECONDS);
        assertThat(f.isDone()).isFalse();
        assertThat(f.getDelay(TimeUnit.MILLISECONDS)).isEqualTo(1000);
        scheduler.advance(Duration.ofMillis(400));
        assertThat(f.getDelay(TimeUnit.MILLISECONDS)).isEqualTo(600);
        scheduler.advance(Duration.ofMillis(600));
        assertThat(f.isDone()).isTrue();
        assertThat(f.get()).isEqualTo("done");
        assertThat(f.get(0, TimeUnit.SECONDS)).isEqualTo("done");
    }

    @Test
    void futuresOrderByTheirDelay() {
        ScheduledFuture<?> soon = scheduler.schedule(record("soon"), 1, TimeUnit.SECONDS);
        ScheduledFuture<?> later = scheduler.schedule(record("later"), 2, TimeUnit.SECONDS);
        assertThat(soon.compareTo(later)).isNegative();
        assertThat(later.compareTo(soon)).isPositive();
        assertThat(soon.compareTo(soon)).isZero();
    }

    @Test
    void aFailingTaskFailsItsFutureIsRecordedAndDoesNotStopTheOthers() {
        IllegalStateException boom = new IllegalStateException("boom");
        ScheduledFuture<?> failing = scheduler.schedule(() -> {
            throw boom;
        }, 1, TimeUnit.MILLISECONDS);
        scheduler.schedule(record("after"), 2, TimeUnit.MILLISECONDS);

        scheduler.advance(Duration.ofMillis(5));

        assertThat(runs).containsExactly("after@2");
        assertThat(failing.isDone()).isTrue();
        assertThatThrownBy(failing::get).isInstanceOf(ExecutionException.class).hasCause(boom);
        assertThat(scheduler.failures()).containsExactly(boom);
    }

    @Test
    void getOfATaskNotYetRunTimesOutInRealTime() {
        ScheduledFuture<?> f = scheduler.schedule(record("x"), 1, TimeUnit.SECONDS);
        assertThatThrownBy(() -> f.get(10, TimeUnit.MILLISECONDS)).isInstanceOf(TimeoutException.class);
    }

    @Test
    void getWaitsForAnotherThreadToAdvance() throws Exception {
        ScheduledFuture<String> f = scheduler.schedule(() -> "ran", 1, TimeUnit.SECONDS);
        Thread driver = new Thread(() -> scheduler.advance(Duration.ofSeconds(1)));
        driver.start();
        assertThat(f.get(5, TimeUnit.SECONDS)).isEqualTo("ran");
        driver.join();
    }

    // ---------------------------------------------------------------- periodic

    @Test
    void fixedRateRunsOncePerPeriodPassedAtItsScheduledTimes() {
        scheduler.scheduleAtFixedRate(record("tick"), 10, 100, TimeUnit.MILLISECONDS);

        assertThat(scheduler.advance(Duration.ofMillis(350))).isEqualTo(4);

        assertThat(runs).containsExactly("tick@10", "tick@110", "tick@210", "tick@310");
        assertThat(scheduler.nextDelay()).isEqualTo(Duration.ofMillis(60));
    }

    @Test
    void fixedRateKeepsItsPhaseWhenTheTaskTakesTime() {
        scheduler.scheduleAtFixedRate(() -> {
            runs.add("tick@" + clock.nanoTime() / 1_000_000);
            clock.advance(Duration.ofMillis(30)); // the task "takes" 30 ms
        }, 0, 100, TimeUnit.MILLISECONDS);

        scheduler.advance(Duration.ofMillis(250));

        assertThat(runs).containsExactly("tick@0", "tick@100", "tick@200");
    }

    @Test
    void fixedDelayCountsFromTheEndOfEachRun() {
        scheduler.scheduleWithFixedDelay(() -> {
            runs.add("tick@" + clock.nanoTime() / 1_000_000);
            clock.advance(Duration.ofMillis(30));
        }, 0, 100, TimeUnit.MILLISECONDS);

        scheduler.advance(Duration.ofMillis(300));

        assertThat(runs).containsExactly("tick@0", "tick@130", "tick@260");
    }

    @Test
    void fixedDelayWithoutRunTimeEqualsTheDelay() {
        scheduler.scheduleWithFixedDelay(record("tick"), 50, 50, TimeUnit.MILLISECONDS);
        scheduler.advance(Duration.ofMillis(200));
        assertThat(runs).containsExactly("tick@50", "tick@100", "tick@150", "tick@200");
    }

    @Test
    void cancellingAPeriodicTaskStopsIt() {
        ScheduledFuture<?> f = scheduler.scheduleAtFixedRate(record("tick"), 0, 10, TimeUnit.MILLISECONDS);
        scheduler.advance(Duration.ofMillis(15));
        assertThat(f.cancel(false)).isTrue();
        scheduler.advance(Duration.ofMillis(100));

        assertThat(runs).containsExactly("tick@0", "tick@10");
        assertThat(f.isCancelled()).isTrue();
        assertThat(f.isDone()).isTrue();
        assertThat(scheduler.pendingTasks()).isZero();
        assertThatThrownBy(f::get).isInstanceOf(CancellationException.class);
        assertThat(f.cancel(false)).as("a second cancel").isFalse();
    }

    @Test
    void aPeriodicTaskCanCancelItselfWhileRunning() {
        List<ScheduledFuture<?>> self = new ArrayList<>();
        self.add(scheduler.scheduleAtFixedRate(() -> {
            runs.add("once");
            self.get(0).cancel(false);
        }, 0, 10, TimeUnit.MILLISECONDS));
        scheduler.advance(Duration.ofMillis(100));
        assertThat(runs).containsExactly("once");
        assertThat(scheduler.pendingTasks()).isZero();
    }

    @Test
    void aPeriodicTaskThatThrowsIsNotRunAgain() {
        RuntimeException boom = new RuntimeException("boom");
        ScheduledFuture<?> f = scheduler.scheduleAtFixedRate(() -> {
            runs.add("run");
            throw boom;
        }, 0, 10, TimeUnit.MILLISECONDS);
        scheduler.advance(Duration.ofMillis(100));
        assertThat(runs).containsExactly("run");
        assertThatThrownBy(f::get).isInstanceOf(ExecutionException.class).hasCause(boom);
        assertThat(scheduler.failures()).containsExactly(boom);
    }

    @Test
    void periodsMustBePositive() {
        assertThatThrownBy(() -> scheduler.scheduleAtFixedRate(record("x"), 0, 0, TimeUnit.SECONDS))
                .isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> scheduler.scheduleWithFixedDelay(record("x"), 0, -1, TimeUnit.SECONDS))
                .isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> scheduler.schedule((Runnable) null, 0, TimeUnit.SECONDS))
                .isInstanceOf(NullPointerException.class);
    }

    // ---------------------------------------------------------------- cancel, shutdown

    @Test
    void aCancelledOneShotTaskNeverRuns() {
        ScheduledFuture<?> f = scheduler.schedule(record("x"), 10, TimeUnit.MILLISECONDS);
        assertThat(f.cancel(true)).isTrue();
        scheduler.advance(Duration.ofSeconds(1));
        assertThat(runs).isEmpty();
        assertThat(scheduler.pendingTasks()).isZero();
    }

    @Test
    void aDoneTaskCannotBeCancelled() {
        ScheduledFuture<?> f = scheduler.schedule(record("x"), 0, TimeUnit.MILLISECONDS);
        scheduler.runDue();
        assertThat(f.cancel(false)).isFalse();
        assertThat(f.isCancelled()).isFalse();
    }

    @Test
    void shutdownRejectsNewTasksDropsPeriodicOnesAndKeepsDelayedOnes() {
        ScheduledFuture<?> periodic = scheduler.scheduleAtFixedRate(record("tick"), 0, 10, TimeUnit.MILLISECONDS);
        scheduler.schedule(record("delayed"), 50, TimeUnit.MILLISECONDS);

        scheduler.shutdown();

        assertThat(scheduler.isShutdown()).isTrue();
        assertThat(periodic.isCancelled()).isTrue();
        assertThatThrownBy(() -> scheduler.execute(record("new"))).isInstanceOf(RejectedExecutionException.class);
        assertThat(scheduler.isTerminated()).isFalse();
        assertThat(scheduler.awaitTermination(1, TimeUnit.SECONDS)).isFalse();

        scheduler.advance(Duration.ofMillis(100));

        assertThat(runs).containsExactly("delayed@50");
        assertThat(scheduler.isTerminated()).isTrue();
        assertThat(scheduler.awaitTermination(0, TimeUnit.SECONDS)).isTrue();
    }

    @Test
    void aPeriodicTaskRunningDuringShutdownIsNotRescheduled() {
        ScheduledFuture<?> f = scheduler.scheduleAtFixedRate(() -> {
            runs.add("tick");
            scheduler.shutdown();
        }, 0, 10, TimeUnit.MILLISECONDS);
        scheduler.advance(Duration.ofMillis(100));
        assertThat(runs).containsExactly("tick");
        assertThat(f.isCancelled()).isTrue();
        assertThat(scheduler.isTerminated()).isTrue();
    }

    @Test
    void shutdownNowCancelsEverythingAndReturnsWhatNeverRan() {
        Runnable never = record("never");
        ScheduledFuture<?> periodic = scheduler.scheduleAtFixedRate(record("tick"), 0, 10, TimeUnit.MILLISECONDS);
        scheduler.runDue();
        ScheduledFuture<?> delayed = scheduler.schedule(never, 1, TimeUnit.SECONDS);

        List<Runnable> neverRan = scheduler.shutdownNow();

        assertThat(neverRan).containsExactly((Runnable) delayed);
        assertThat(periodic.isCancelled()).isTrue();
        assertThat(delayed.isCancelled()).isTrue();
        scheduler.advance(Duration.ofSeconds(5));
        assertThat(runs).containsExactly("tick@0");
        assertThat(scheduler.isTerminated()).isTrue();
    }

    // ---------------------------------------------------------------- ExecutorService

    @Test
    void submitRunsOnTheNextRunDue() throws Exception {
        Future<String> callable = scheduler.submit(() -> "c");
        Future<Integer> withResult = scheduler.submit(record("r"), 7);
        Future<?> plain = scheduler.submit(record("p"));
        scheduler.runDue();
        assertThat(callable.get()).isEqualTo("c");
        assertThat(withResult.get()).isEqualTo(7);
        assertThat(plain.get()).isNull();
        assertThat(runs).containsExactly("r@0", "p@0");
    }

    @Test
    void invokeAllRunsTheTasksOnTheCallingThread() throws Exception {
        Thread caller = Thread.currentThread();
        List<Callable<Boolean>> tasks = List.of(() -> Thread.currentThread() == caller, () -> true);
        List<Future<Boolean>> futures = scheduler.invokeAll(tasks);
        assertThat(futures).allSatisfy(f -> assertThat(f.get()).isTrue());
        assertThat(scheduler.invokeAll(tasks, 1, TimeUnit.MILLISECONDS)).hasSize(2);
    }

    @Test
    void invokeAnyReturnsTheFirstSuccess() throws Exception {
        List<Callable<String>> tasks = List.of(() -> {
            throw new IllegalStateException("first fails");
        }, () -> "second", () -> "third");
        assertThat(scheduler.invokeAny(tasks)).isEqualTo("second");
        assertThat(scheduler.invokeAny(tasks, 1, TimeUnit.SECONDS)).isEqualTo("second");
        List<Callable<String>> failing = List.of(() -> {
            throw new IllegalStateException("only");
        });
        assertThatThrownBy(() -> scheduler.invokeAny(failing)).isInstanceOf(ExecutionException.class)
                .hasRootCauseMessage("only");
    }

    // ---------------------------------------------------------------- driving

    @Test
    void runNextJumpsToTheNextTask() {
        scheduler.schedule(record("a"), 3, TimeUnit.SECONDS);
        scheduler.schedule(record("b"), 7, TimeUnit.SECONDS);
        assertThat(scheduler.runNext()).isTrue();
        assertThat(runs).containsExactly("a@3000");
        assertThat(scheduler.runNext()).isTrue();
        assertThat(runs).containsExactly("a@3000", "b@7000");
        assertThat(scheduler.runNext()).isFalse();
        assertThat(clock.nanoTime()).isEqualTo(Duration.ofSeconds(7).toNanos());
        assertThat(scheduler.nextDelay()).isNull();
    }

    @Test
    void advancingTheClockDirectlyMakesTasksDue() {
        scheduler.schedule(record("a"), 10, TimeUnit.MILLISECONDS);
        clock.advance(Duration.ofMillis(20));
        assertThat(scheduler.nextDelay()).isZero();
        scheduler.runDue();
        assertThat(runs).containsExactly("a@20");
    }

    @Test
    void advancingFromARunningTaskIsRefused() {
        ScheduledFuture<?> f = scheduler.schedule(() -> scheduler.advance(Duration.ofMillis(1)), 0, TimeUnit.SECONDS);
        scheduler.runDue();
        assertThatThrownBy(f::get).hasCauseInstanceOf(IllegalStateException.class);
    }

    @Test
    void timeOnlyMovesForward() {
        assertThatThrownBy(() -> scheduler.advance(Duration.ofMillis(-1))).isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void aVeryLongDelayDoesNotOverflowIntoThePast() {
        scheduler.schedule(record("never"), Long.MAX_VALUE, TimeUnit.NANOSECONDS);
        scheduler.advance(Duration.ofDays(365));
        assertThat(runs).isEmpty();
    }

    @Test
    void tasksMayBeScheduledFromOtherThreadsWhileTimeAdvances() throws InterruptedException {
        Thread[] producers = new Thread[4];
        for (int i = 0; i < producers.length; i++) {
            producers[i] = new Thread(() -> {
                for (int j = 0; j < 250; j++) {
                    scheduler.schedule(() -> runs.add("x"), j % 10, TimeUnit.MILLISECONDS);
                }
            });
            producers[i].start();
        }
        for (Thread t : producers) {
            t.join();
        }
        scheduler.advance(Duration.ofMillis(10));
        assertThat(runs).hasSize(1000);
    }
}
