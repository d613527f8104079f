package io.redcompress.connect.cli;

import java.io.PrintStream;
import java.io.PrintWriter;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.logging.Level;
import java.util.logging.LogManager;
import java.util.logging.Logger;

import io.redcompress.connect.Version;
import io.redcompress.connect.dictionary.DictionaryStoreException;
import io.redcompress.connect.redis.RedisDictionaryResolver;
import io.redcompress.connect.redis.RedisKeyspace;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.ScopeType;

/**
 * The operators' tool: {@code java -jar kafka-connect-redis-compressed-<version>-cli.jar <command> [options]}. Commands
 * {@code inspect}, {@code stats}, {@code train}, {@code dictionaries} and {@code rebucket}; {@code --help} on its own or after a command.
 * Errors are one line on stderr ({@code --verbose} adds the stack trace); exit codes in {@link ExitCode}.
 */
@Command(name = "redcompress", mixinStandardHelpOptions = true, versionProvider = RedcompressCli.VersionProvider.class,
        description = "Looks at what the Redis Compressed Sink Connector wrote to Redis, trains zstd dictionaries for it, and "
                + "changes the bucket count of its bucketed layout.",
        subcommands = {InspectCommand.class, StatsCommand.class, TrainCommand.class, DictionariesCommand.class,
            RebucketCommand.class},
        exitCodeListHeading = "%nExit codes:%n",
        exitCodeList = {
            "0:done, nothing wrong found",
            "1:a finding: a value that does not decode (damaged, unknown dictionary, not in our format), a dictionary id taken",
            "2:usage or configuration error (the message names the option or key)",
            "3:Redis unreachable, or it refused the connection or a command",
            "4:unexpected error (run again with --verbose and report it)"})
public final class RedcompressCli implements Runnable {

    @Option(names = "--verbose", scope = ScopeType.INHERIT, description = "On an error, print the stack trace too.")
    boolean verbose;

    @picocli.CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    @Override
    public void run() {
        throw new CommandLine.ParameterException(spec.commandLine(), "a command is missing");
    }

    public static void main(String[] args) {
        quietLogs(Arrays.asList(args).contains("--verbose"));
        System.exit(run(args, System.out, System.err));
    }

    /**
     * Runs one command line, printing to {@code out} and {@code err}.
     *
     * @return the exit code ({@link ExitCode})
     */
    public static int run(String[] args, PrintStream out, PrintStream err) {
        boolean verbose = Arrays.asList(args).contains("--verbose");
        PrintWriter errWriter = new PrintWriter(err, true, StandardCharsets.UTF_8);
        CommandLine cli = new CommandLine(new RedcompressCli());
        cli.setOut(new PrintWriter(out, true, StandardCharsets.UTF_8));
        cli.setErr(errWriter);
        cli.setExecutionExceptionHandler((e, commandLine, parseResult) -> {
            int code = exitCode(e);
            String message = code == ExitCode.INTERNAL ? "unexpected error: " + e : e.getMessage();
            errWriter.println(commandLine.getCommandName() + ": " + message);
            if (verbose) {
                e.printStackTrace(errWriter);
            } else if (code == ExitCode.INTERNAL) {
                errWriter.println("(run again with --verbose for the stack trace)");
            }
            errWriter.flush();
            return code;
        });
        int code = cli.execute(args);
        errWriter.flush();
        out.flush();
        return code;
    }

    private static int exitCode(Exception e) {
        if (e instanceof CliException cli) {
            return cli.exitCode();
        }
        for (Throwable t = e; t != null; t = t.getCause() == t ? null : t.getCause()) {
            if (t instanceof DictionaryStoreException || t instanceof RedisDictionaryResolver.LookupFailedException) {
                return ExitCode.REDIS;
            }
        }
        if (RedisKeyspace.isRedisFailure(e)) {
            return ExitCode.REDIS;
        }
        if (e instanceof org.apache.kafka.common.config.ConfigException) {
            // a setting only the connection finds wrong (redis.uri's shape, a trust store file)
            return ExitCode.USAGE;
        }
        return ExitCode.INTERNAL;
    }

    /**
     * Lettuce and Netty log through java.util.logging here (the jar has no SLF4J provider, so Kafka's and our logs go
     * nowhere): only warnings with --verbose, only errors without; SLF4J's own notice about no provider is dropped.
     */
    private static void quietLogs(boolean verbose) {
        System.setProperty("slf4j.internal.verbosity", "ERROR");
        LogManager.getLogManager().reset();
        Logger root = Logger.getLogger("");
        Level level = verbose ? Level.WARNING : Level.SEVERE;
        root.setLevel(level);
        java.util.logging.ConsoleHandler handler = new java.util.logging.ConsoleHandler();
        handler.setLevel(level);
        root.addHandler(handler);
    }

    static final class VersionProvider implements CommandLine.IVersionProvider {
        @Override
        public String[] getVersion() {
            return new String[] {"redcompress " + Version.get()};
        }
    }
}
