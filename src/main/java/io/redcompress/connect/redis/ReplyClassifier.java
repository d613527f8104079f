package io.redcompress.connect.redis;

import java.util.List;
import java.util.Locale;

import io.lettuce.core.RedisCommandExecutionException;
import io.redcompress.connect.config.RedisSinkConfig;
import io.redcompress.connect.mapping.RedisWrite;

/**
 * Decides, from Redis's exact reply, what a failed command means: a bad record, a moment to wait out, or a setting
 * to change. The table below lists the replies SET, DEL and WAIT really give (checked against a real server by
 * {@code ReplyClassifierTest}); the bucketed layout's writes (HSET, HDEL, HPEXPIRE) have rules of their own first, since
 * a bucket holds records of every kind: a refusal of one is about the prefix, never one record. Anything not in the
 * tables, including replies we have never seen, is transient, so it is retried and, when retries run out, fails the
 * task with the reply, rather than sending good records to the dead-letter topic.
 */
final class ReplyClassifier {

    /** One row: a reply's error code, a fragment of its message (lower case, "" for any), its kind and what to change. */
    record Rule(String code, String fragment, FailureKind kind, String remedy) {

        boolean matches(String replyCode, String lowerMessage) {
            return code.equals(replyCode) && lowerMessage.contains(fragment);
        }
    }

    static final List<Rule> RULES = List.of(
            // Redis 6.2/7.0: "NOPERM this user has no permissions to access one of the keys used as arguments";
            // 7.2+: "NOPERM No permissions to access a key". The ACL forbids this record's key, not every key.
            new Rule("NOPERM", "permissions to access one of the keys", FailureKind.PERMANENT, null),
            new Rule("NOPERM", "permissions to access a key", FailureKind.PERMANENT, null),
            // 6.2: "... to run the 'set' command or its subcommand"; 7.0: "... to run the 'set' command";
            // 7.2+: "NOPERM User u has no permissions to run the 'set' command". Every record would get it.
            new Rule("NOPERM", "permissions to run", FailureKind.FATAL, "grant the ACL user of " + RedisSinkConfig.REDIS_USERNAME
                    + " the command (ACL SETUSER <user> +set +del, and +wait with " + RedisSinkConfig.REDIS_WAIT_REPLICAS
                    + "), or connect as a user that has it"),
            // any other NOPERM (channels, new wordings): not about one record, so not a reason to dead-letter it
            new Rule("NOPERM", "", FailureKind.FATAL, "check the ACL rules of the user in " + RedisSinkConfig.REDIS_USERNAME),
            // SET ... PX n where n plus the server's clock overflows: every record carries the same ttl
            new Rule("ERR", "invalid expire time", FailureKind.FATAL, "lower " + RedisSinkConfig.TTL_MS),
            // a value over proto-max-bulk-len: about this one value
            new Rule("ERR", "string exceeds maximum allowed size", FailureKind.PERMANENT, null),
            new Rule("ERR", "invalid bulk length", FailureKind.PERMANENT, null),
            // an RPUSH, LPUSH or XADD to a key holding another type: about this record's key
            new Rule("WRONGTYPE", "", FailureKind.PERMANENT, null));

    /** For writes into buckets, before {@link #RULES}. */
    static final List<Rule> BUCKET_RULES = List.of(
            // the ACL refuses this bucket: records of any kind hash to it, so it is the prefix the user may not write
            new Rule("NOPERM", "permissions to access", FailureKind.FATAL, "allow the ACL user of "
                    + RedisSinkConfig.REDIS_USERNAME + " every key under " + RedisSinkConfig.REDIS_BUCKET_PREFIX
                    + " (ACL SETUSER <user> ~<prefix>*), or choose a prefix it may write"),
            new Rule("NOPERM", "permissions to run", FailureKind.FATAL, "grant the ACL user of " + RedisSinkConfig.REDIS_USERNAME
                    + " the command (ACL SETUSER <user> +hset +hdel, +hpexpire with " + RedisSinkConfig.TTL_MS + ", +wait with "
                    + RedisSinkConfig.REDIS_WAIT_REPLICAS + "), or connect as a user that has it"),
            // a bucket key holds a string, list...: another writer uses the prefix
            new Rule("WRONGTYPE", "", FailureKind.FATAL, "a key under " + RedisSinkConfig.REDIS_BUCKET_PREFIX + " holds "
                    + "something other than a hash, so another writer uses the prefix: give this connector a prefix of its own"));

    private ReplyClassifier() {
    }

    static FailureKind classify(Throwable failure) {
        return classify(failure, null);
    }

    /** What a failed command of {@code write} (null: not a record's write) means. */
    static FailureKind classify(Throwable failure, RedisWrite write) {
        Rule rule = ruleFor(failure, write);
        return rule == null ? FailureKind.TRANSIENT : rule.kind();
    }

    /** Redis's reply, and for a setting-level refusal the setting to change. */
    static String describe(Throwable failure) {
        return describe(failure, null);
    }

    static String describe(Throwable failure, RedisWrite write) {
        String reply = failure.getClass().getSimpleName() + ": " + failure.getMessage();
        Rule rule = ruleFor(failure, write);
        return rule == null || rule.remedy() == null ? reply
                : reply + " (every record would be refused alike: " + rule.remedy() + ")";
    }

    private static Rule ruleFor(Throwable failure, RedisWrite write) {
        if (!(failure instanceof RedisCommandExecutionException)) {
            return null;
        }
        String message = failure.getMessage() == null ? "" : failure.getMessage();
        String code = message.split(" ", 2)[0].toUpperCase(Locale.ROOT);
        String lower = message.toLowerCase(Locale.ROOT);
        if (write instanceof RedisWrite.SetField || write instanceof RedisWrite.DeleteField) {
            for (Rule rule : BUCKET_RULES) {
                if (rule.matches(code, lower)) {
                    return rule;
                }
            }
        }
        for (Rule rule : RULES) {
            if (rule.matches(code, lower)) {
                return rule;
            }
        }
        return null;
    }
}
