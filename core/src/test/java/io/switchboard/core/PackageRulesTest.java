package io.switchboard.core;

import static com.tngtech.archunit.lang.syntax.ArchRuleDefinition.noClasses;
import static com.tngtech.archunit.library.dependencies.SlicesRuleDefinition.slices;

import com.tngtech.archunit.core.domain.JavaClasses;
import com.tngtech.archunit.core.importer.ClassFileImporter;
import com.tngtech.archunit.core.importer.ImportOption;
import com.tngtech.archunit.lang.ArchRule;
import org.junit.jupiter.api.Test;

/**
 * The package rules of core (docs/architecture.md): arrows run down, from the facade to the engine and
 * from both to the SPIs, never back up, and no two packages lean on each other.
 */
class PackageRulesTest {
    private static final JavaClasses CORE = new ClassFileImporter()
            .withImportOption(ImportOption.Predefined.DO_NOT_INCLUDE_TESTS)
            .importPackages("io.switchboard.core");

    @Test
    void theEnginePiecesNeverReachBackToTheFacade() {
        rule(noClasses().that().belongToAnyOf(RoomSequencer.class, Republisher.class, FanOut.class,
                        BackendCalls.class, HubScheduler.class, HubContext.class, DirectMessages.class,
                        ClusterInbound.class, Joins.class, Members.class, RoomPublisher.class)
                .should().dependOnClassesThat().belongToAnyOf(Hub.class, CommandHandler.class)
                .because("the hub's pieces get a HubContext, never the Hub"));
    }

    @Test
    void theSpisAndServicesBelowTheHubNeverUseItOrItsCommands() {
        rule(noClasses().that().resideInAPackage("io.switchboard.core.(*)..")
                .should().dependOnClassesThat().belongToAnyOf(Hub.class, CommandHandler.class, RoomSequencer.class,
                        Republisher.class, FanOut.class, DirectMessages.class, ClusterInbound.class, Joins.class,
                        RoomPublisher.class)
                .because("broker, history, presence, auth, limits, metrics and config sit below the hub"));
    }

    @Test
    void corePackagesFormNoCycle() {
        rule(slices().matching("io.switchboard.core.(*)..").should().beFreeOfCycles());
    }

    @Test
    void coreNeverUsesTheServerOrAnAdapter() {
        rule(noClasses().should().dependOnClassesThat()
                .resideInAnyPackage("io.switchboard.server..", "io.switchboard.redis..", "io.switchboard.nats..",
                        "io.netty.."));
    }

    private static void rule(ArchRule rule) {
        rule.check(CORE);
    }
}
