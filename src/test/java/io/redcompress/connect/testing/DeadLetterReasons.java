package io.redcompress.connect.testing;

/**
 * For the quickstart summary and tests: reads why a record is on the dead-letter topic from the headers Connect writes there
 * (errors.deadletterqueue.context.headers.enable=true). Connect's own message for a converter failure ends where the
 * cause begins ("... failed due to serialization error: "), so the cause is taken from the last "Caused by:" line of
 * the stack trace header.
 */
public final class DeadLetterReasons {

    public static final String MESSAGE_HEADER = "__connect.errors.exception.message";
    public static final String STACKTRACE_HEADER = "__connect.errors.exception.stacktrace";

    private DeadLetterReasons() {
    }

    /** The message, completed with its root cause when the message alone does not say it. */
    public static String explain(String message, String stacktrace) {
        String text = message == null ? "" : message.strip();
        String rootCause = rootCause(stacktrace);
        if (rootCause == null || text.contains(rootCause)) {
            return text.isEmpty() && stacktrace != null ? firstLine(stacktrace) : text;
        }
        if (text.isEmpty()) {
            return rootCause;
        }
        return text.endsWith(":") ? text + " " + rootCause : text + " (caused by " + rootCause + ")";
    }

    private static String rootCause(String stacktrace) {
        if (stacktrace == null) {
            return null;
        }
        String cause = null;
        for (String line : stacktrace.split("\r?\n")) {
            String stripped = line.strip();
            if (stripped.startsWith("Caused by: ")) {
                cause = stripped.substring("Caused by: ".length());
            }
        }
        return cause;
    }

    private static String firstLine(String text) {
        int newline = text.indexOf('\n');
        return (newline < 0 ? text : text.substring(0, newline)).strip();
    }
}
