package io.switchboard.testkit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Duration;
import org.junit.jupiter.api.Test;

class RecordingListenerTest {
    private static final Duration SHORT = Duration.ofMillis(50);

    @Test
    void eventsAreTakenInArrivalOrder() {
        RecordingListener<String> events = new RecordingListener<>();
        events.accept("a");
        events.accept("b");
        assertThat(events.next()).isEqualTo("a");
        assertThat(events.next()).isEqualTo("b");
        events.close();
    }

    @Test
    void nextWaitsForAnEventFromAnotherThread() {
        RecordingListener<String> events = new RecordingListener<>();
        Thread producer = new Thread(() -> {
            sleep(30);
            events.accept("late");
        });
        producer.start();
        assertThat(events.next(Duration.ofSeconds(5))).isEqualTo("late");
    }

    @Test
    void nextFailsWhenNothingArrivesInTime() {
        RecordingListener<String> events = new RecordingListener<>(SHORT);
        events.accept("taken");
        events.next();
        assertThatThrownBy(events::next).isInstanceOf(AssertionError.class)
                .hasMessageContaining("no event within PT0.05S").hasMessageContaining("taken");
    }

    @Test
    void nextOfATypeFailsOnAnotherType() {
        RecordingListener<Object> events = new RecordingListener<>();
        events.accept(42);
        events.accept("text");
        assertThat(events.next(Integer.class)).isEqualTo(42);
        assertThatThrownBy(() -> events.next(Integer.class)).isInstanceOf(AssertionError.class)
                .hasMessageContaining("expected a Integer but the next event was text");
    }

    @Test
    void awaitTakesTheNextCountEvents() {
        RecordingListener<Integer> events = new RecordingListener<>();
        for (int i = 0; i < 5; i++) {
            events.accept(i);
        }
        assertThat(events.await(3)).containsExactly(0, 1, 2);
        assertThat(events.pendingCount()).isEqualTo(2);
        assertThatThrownBy(() -> events.await(3, SHORT)).isInstanceOf(AssertionError.class)
                .hasMessageContaining("only 2 of 3 events");
    }

    @Test
    void assertNoMoreFailsOnAnEventNotTaken() {
        RecordingListener<String> events = new RecordingListener<>();
        events.accept("expected");
        events.accept("extra");
        events.next();
        assertThatThrownBy(events::assertNoMore).isInstanceOf(AssertionError.class).hasMessageContaining("extra");
    }

    @Test
    void assertNoMoreWithADurationFailsOnALateExtra() {
        RecordingListener<String> events = new RecordingListener<>();
        Thread late = new Thread(() -> {
            sleep(20);
            events.accept("late extra");
        });
        late.start();
        assertThatThrownBy(() -> events.assertNoMore(Duration.ofSeconds(5))).isInstanceOf(AssertionError.class)
                .hasMessageContaining("late extra");
    }

    @Test
    void assertNoMoreWithADurationPassesWhenQuiet() {
        RecordingListener<String> events = new RecordingListener<>();
        events.assertNoMore(SHORT);
    }

    @Test
    void closeFailsOnLeftovers() {
        RecordingListener<String> events = new RecordingListener<>();
        events.accept("left over");
        assertThatThrownBy(events::close).isInstanceOf(AssertionError.class).hasMessageContaining("left over");
    }

    @Test
    void allKeepsEverythingRecorded() {
        RecordingListener<String> events = new RecordingListener<>();
        events.accept("a");
        events.accept("b");
        events.next();
        assertThat(events.all()).containsExactly("a", "b");
        assertThatThrownBy(() -> events.accept(null)).isInstanceOf(NullPointerException.class);
    }

    private static void sleep(long millis) {
        try {
            Thread.sleep(millis);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
