package io.switchboard.server;

import static com.tngtech.archunit.base.DescribedPredicate.not;
import static com.tngtech.archunit.core.domain.JavaClass.Predicates.belongToAnyOf;
import static com.tngtech.archunit.core.domain.JavaClass.Predicates.resideInAPackage;
import static com.tngtech.archunit.lang.syntax.ArchRuleDefinition.noClasses;
import static com.tngtech.archunit.library.dependencies.SlicesRuleDefinition.slices;

import com.tngtech.archunit.core.domain.JavaClasses;
import com.tngtech.archunit.core.importer.ClassFileImporter;
import com.tngtech.archunit.core.importer.ImportOption;
import com.tngtech.archunit.lang.ArchRule;
import io.switchboard.core.hub.Connection;
import io.switchboard.core.hub.Hub;
import io.switchboard.core.hub.HubStats;
import io.switchboard.core.hub.JoinCallback;
import io.switchboard.core.hub.JoinResult;
import io.switchboard.core.hub.RoomInfo;
import io.switchboard.core.hub.RoomSummary;
import io.switchboard.core.hub.Shard;
import org.junit.jupiter.api.Test;

/**
 * The package rules of the server (docs/architecture.md): the node composes, HTTP and WebSocket meet only
 * there, observability is told and never asks, and arrows never run back up to the facade.
 */
class PackageRulesTest {
    private static final JavaClasses SERVER = new ClassFileImporter()
            .withImportOption(ImportOption.Predefined.DO_NOT_INCLUDE_TESTS)
            .importPackages("io.switchboard.server");

    @Test
    void httpAndWebSocketNeverUseEachOther() {
        rule(noClasses().that().resideInAPackage("io.switchboard.server.http..")
                .should().dependOnClassesThat().resideInAPackage("io.switchboard.server.websocket..")
                .because("the router hands an admitted upgrade to an installer it is given, by its interface"));
        rule(noClasses().that().resideInAPackage("io.switchboard.server.websocket..")
                .should().dependOnClassesThat().resideInAPackage("io.switchboard.server.http..")
                .because("the WebSocket stages know the HTTP stages only by the names the node gives them"));
    }

    @Test
    void observabilityUsesNoTransport() {
        rule(noClasses().that().resideInAPackage("io.switchboard.server.observability..")
                .should().dependOnClassesThat().resideInAnyPackage("io.switchboard.server.http..",
                        "io.switchboard.server.websocket..", "io.switchboard.server.upgrade..")
                .because("the transports report to observability, never the other way round"));
    }

    @Test
    void nothingUsesTheHubEngine() {
        rule(noClasses().should().dependOnClassesThat(resideInAPackage("io.switchboard.core.hub..")
                        .and(not(belongToAnyOf(Hub.class, Connection.class, Shard.class, HubStats.class,
                                JoinResult.class, JoinCallback.class, RoomInfo.class, RoomSummary.class))))
                .because("the hub's engine is core's own; the server talks to the Hub facade and its handles"));
    }

    @Test
    void nothingBelowTheFacadeUsesIt() {
        rule(noClasses().that().resideInAPackage("io.switchboard.server.(*)..")
                .should().dependOnClassesThat().resideInAPackage("io.switchboard.server")
                .because("SwitchboardServer sits on top: the node composes the parts, no part reaches back up"));
    }

    @Test
    void serverPackagesFormNoCycle() {
        rule(slices().matching("io.switchboard.server.(*)..").should().beFreeOfCycles());
    }

    private static void rule(ArchRule rule) {
        rule.check(SERVER);
    }
}
