package io.switchboard.core;

import static com.tngtech.archunit.lang.syntax.ArchRuleDefinition.noClasses;
import static com.tngtech.archunit.library.dependencies.SlicesRuleDefinition.slices;

import com.tngtech.archunit.core.domain.JavaClasses;
import com.tngtech.archunit.core.importer.ClassFileImporter;
import com.tngtech.archunit.core.importer.ImportOption;
import com.tngtech.archunit.lang.ArchRule;
import io.switchboard.core.command.CommandHandler;
import io.switchboard.core.hub.Hub;
import org.junit.jupiter.api.Test;

/**
 * The package rules of core (docs/architecture.md): arrows run down, from the commands to the hub's
 * facade, from the facade to its engine, and from all of them to the SPIs and services below; never back
 * up, and no two packages lean on each other. The engine's pieces are package-private in {@code core.hub},
 * so only its facade types (Hub, Connection, Shard, JoinResult, JoinCallback, HubStats) are visible outside.
 */
class PackageRulesTest {
    private static final String HUB = "io.switchboard.core.hub..";
    private static final String COMMAND = "io.switchboard.core.command..";
    private static final JavaClasses CORE = new ClassFileImporter()
            .withImportOption(ImportOption.Predefined.DO_NOT_INCLUDE_TESTS)
            .importPackages("io.switchboard.core");

    @Test
    void theEnginePiecesNeverReachBackToTheFacade() {
        rule(noClasses().that().resideInAPackage(HUB).and().doNotBelongToAnyOf(Hub.class)
                .should().dependOnClassesThat().belongToAnyOf(Hub.class)
                .because("the hub's pieces get a HubContext, never the Hub"));
    }

    @Test
    void theHubNeverUsesTheCommandsAboveIt() {
        rule(noClasses().that().resideInAPackage(HUB).should().dependOnClassesThat().resideInAPackage(COMMAND)
                .because("commands call the hub; the hub hands results back through its own types"));
    }

    @Test
    void theSpisAndServicesBelowTheHubNeverUseItOrItsCommands() {
        rule(noClasses().that().resideInAnyPackage("io.switchboard.core", "io.switchboard.core.transport..",
                        "io.switchboard.core.broker..", "io.switchboard.core.history..",
                        "io.switchboard.core.presence..", "io.switchboard.core.guard..", "io.switchboard.core.auth..",
                        "io.switchboard.core.hooks..", "io.switchboard.core.proxy..",
                        "io.switchboard.core.limit..", "io.switchboard.core.metrics..",
                        "io.switchboard.core.config..", "io.switchboard.core.internal..", "io.switchboard.core.policy..")
                .should().dependOnClassesThat().resideInAnyPackage(HUB, COMMAND)
                .because("transport, broker, history, presence, guards, hooks, auth, limits, metrics, config and room"
                        + " policies sit below the hub"));
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

    @Test
    void theCommandHandlerIsTheOnlyCommandEntry() {
        rule(noClasses().that().resideOutsideOfPackage(COMMAND).should().dependOnClassesThat()
                .belongToAnyOf(CommandHandler.class).because("core's own pieces never dispatch commands"));
    }

    private static void rule(ArchRule rule) {
        rule.check(CORE);
    }
}
