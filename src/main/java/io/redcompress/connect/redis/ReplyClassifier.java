package io.redcompress.connect.redis;

import java.util.Locale;
import java.util.Set;

import io.lettuce.core.RedisCommandExecutionException;

/**
 * Decides whether a failed command may be retried. Only errors that are about the one record are permanent;
 * everything else, including errors we do not recognise, is transient, so it is retried and, when retries run out,
 * fails the task with the cause, rather than sending good records to the dead-letter topic.
 */
final class ReplyClassifier {

    /** Error codes (first word of the reply) that concern the key or value written, not the server. */
    private static final Set<String> PERMANENT_CODES = Set.of("WRONGTYPE", "NOPERM");

    /** Messages of generic ERR replies that concern the value written. */
    private static final Set<String> PERMANENT_ERR_FRAGMENTS = Set.of(
            "string exceeds maximum allowed size", "invalid bulk length", "invalid expire time");

    private ReplyClassifier() {
    }

    static FailureKind classify(Throwable failure) {
        if (failure instanceof RedisCommandExecutionException) {
            String message = failure.getMessage() == null ? "" : failure.getMessage();
            String code = message.split(" ", 2)[0].toUpperCase(Locale.ROOT);
            if (PERMANENT_CODES.contains(code)) {
                return FailureKind.PERMANENT;
            }
            if (code.equals("ERR")) {
                String lower = message.toLowerCase(Locale.ROOT);
                if (PERMANENT_ERR_FRAGMENTS.stream().anyMatch(lower::contains)) {
                    return FailureKind.PERMANENT;
                }
            }
        }
        return FailureKind.TRANSIENT;
    }
}
