package io.switchboard.core.hub;

import io.switchboard.core.HubException;

/** A join callback for tests that only need the join to happen: a refusal fails the test. */
final class JoinExpected implements JoinCallback {
    static final JoinExpected INSTANCE = new JoinExpected();

    private JoinExpected() {
    }

    @Override
    public void joined(JoinResult result) {
    }

    @Override
    public void failed(HubException e) {
        throw new AssertionError(e);
    }
}
