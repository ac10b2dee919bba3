package io.switchboard.core.presence;

class MemoryPresenceStoreTest extends PresenceStoreContract {
    private final MemoryPresenceStore shared = new MemoryPresenceStore();

    @Override
    protected PresenceStore store() {
        return shared;
    }
}
