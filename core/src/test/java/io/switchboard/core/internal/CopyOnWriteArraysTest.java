package io.switchboard.core.internal;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

class CopyOnWriteArraysTest {
    @Test
    void withAppendsToACopy() {
        String[] one = {"a"};
        String[] two = CopyOnWriteArrays.with(one, "b");
        assertThat(two).containsExactly("a", "b");
        assertThat(one).containsExactly("a");
    }

    @Test
    void withoutRemovesOnlyTheFirstMatchFromACopy() {
        String[] three = {"a", "b", "b"};
        assertThat(CopyOnWriteArrays.without(three, "b"::equals)).containsExactly("a", "b");
        assertThat(CopyOnWriteArrays.without(three, "a"::equals)).containsExactly("b", "b");
        assertThat(three).containsExactly("a", "b", "b");
    }

    @Test
    void withoutAMatchTheSameArrayComesBack() {
        String[] two = {"a", "b"};
        assertThat(CopyOnWriteArrays.without(two, "c"::equals)).isSameAs(two);
    }

    @Test
    void removingTheLastElementGivesNullSoComputeDropsTheKey() {
        assertThat(CopyOnWriteArrays.without(new String[] {"a"}, "a"::equals)).isNull();
    }
}
