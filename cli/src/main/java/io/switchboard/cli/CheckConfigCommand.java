package io.switchboard.cli;

import io.switchboard.core.config.ConfigException;
import io.switchboard.server.config.EffectiveConfig;
import io.switchboard.server.config.SwitchboardConfig;
import java.io.PrintWriter;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Spec;

/** {@code switchboard check-config}: validates a configuration and prints it as the server would run it. */
@Command(name = "check-config", mixinStandardHelpOptions = true, sortOptions = false,
        description = {
            "Validate a configuration and print the effective one (every key, with defaults, the file, "
                + "SWITCHBOARD_* variables and --set applied) as YAML, secrets hidden.", ""},
        exitCodeListHeading = "%nExit codes:%n",
        exitCodeList = {"0:valid; the effective configuration is on stdout", "2:invalid; the reason is on stderr"})
final class CheckConfigCommand implements Callable<Integer> {
    @Spec
    private CommandSpec spec;

    @Mixin
    private ConfigOptions config;

    /** The environment the configuration is read with; tests replace it. */
    Map<String, String> env = System.getenv();

    @Override
    public Integer call() {
        SwitchboardConfig loaded;
        try {
            loaded = config.load(env);
        } catch (ConfigException e) {
            PrintWriter err = spec.commandLine().getErr();
            err.println("switchboard check-config: " + e.getMessage());
            err.flush();
            return ServeCommand.EXIT_BAD_CONFIG;
        }
        PrintWriter out = spec.commandLine().getOut();
        out.println("# Effective configuration from " + config.source() + "; secrets are shown as hidden.");
        out.print(EffectiveConfig.yaml(loaded));
        out.flush();
        return 0;
    }
}
