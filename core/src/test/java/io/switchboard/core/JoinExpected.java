package io.switchboard.core;

/** A join callback for tests that only need the join to happen: a refusal fails the test. */
final class JoinExpected implements Hub.JoinCallback {
    static final JoinExpected INSTANCE = new JoinExpected();

    private JoinExpected() {
    }

    @Override
    public void joined(Hub.JoinResult result) {
    }

    @Override
    public void failed(HubException e) {
        throw new AssertionError(e);
    }
}
