package io.redcompress.connect.cli;

/** The tool's exit codes (README, "Command-line tool"). */
public final class ExitCode {

    /** Done, nothing wrong found. */
    public static final int OK = 0;
    /** Done, and something is wrong with the data: a value that does not decode, a dictionary id taken. */
    public static final int FINDING = 1;
    /** The command line or the connector configuration is wrong (the message names the option or key). */
    public static final int USAGE = 2;
    /** Redis could not be reached, or refused the connection or a command. */
    public static final int REDIS = 3;
    /** An unexpected error, a bug: run again with --verbose for the stack trace. */
    public static final int INTERNAL = 4;

    private ExitCode() {
    }
}
