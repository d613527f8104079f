package io.redcompress.connect.redis;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import io.lettuce.core.RedisCommandExecutionException;
import io.lettuce.core.cluster.api.async.RedisClusterAsyncCommands;
import io.lettuce.core.codec.ByteArrayCodec;
import io.lettuce.core.output.StatusOutput;
import io.lettuce.core.protocol.CommandArgs;
import io.lettuce.core.protocol.CommandType;
import io.redcompress.connect.config.NullValueBehavior;
import io.redcompress.connect.config.RedisLayout;
import io.redcompress.connect.config.RedisSinkConfig;
import io.redcompress.connect.redis.RedisConnectivityCheck.Problem;

/**
 * Checks, before any record is written, that the ACL user may send every command this configuration will send, on
 * a sample key of the key template: SET (with PX when ttl.ms is set), DEL when tombstones delete, WAIT with
 * redis.wait.replicas. With {@code ACL DRYRUN} (Redis 7+, for a user allowed to run it) every command is checked
 * exactly and nothing is executed. Where DRYRUN is unavailable, SET is probed as {@code SET key "" PX 0}, which Redis
 * refuses for the invalid expiry only after its ACL check passed — so it writes nothing — and WAIT as {@code WAIT 0 0},
 * which returns at once; DEL cannot be probed without deleting, so it is left to the write path, where a refused
 * command fails the task with the same words.
 */
final class RedisPermissionCheck {

    private static final Logger log = LoggerFactory.getLogger(RedisPermissionCheck.class);

    /** {@code keySetting}: the setting to change when the command's key is refused (null: the data keys'). */
    private record Command(String text, List<byte[]> parts, String keySetting) {

        Command(String text, List<byte[]> parts) {
            this(text, parts, null);
        }
    }

    private final RedisClusterAsyncCommands<byte[], byte[]> commands;
    private final RedisSinkConfig config;
    private final String user;
    private final byte[] sampleKey;
    private final String keyGlob;
    private final long timeoutMillis;

    /**
     * @param sampleKey the key the template renders for a sample record
     * @param keyGlob   every key the template can render, as a glob
     */
    RedisPermissionCheck(RedisClusterAsyncCommands<byte[], byte[]> commands, RedisSinkConfig config, byte[] sampleKey,
                         String keyGlob) {
        this.commands = commands;
        this.config = config;
        this.user = RedisClientFactory.aclUser(config);
        this.sampleKey = sampleKey;
        this.keyGlob = keyGlob;
        this.timeoutMillis = config.commandTimeout().toMillis();
    }

    private record Denial(String command, String reason, String keySetting) {

        Denial(String command, String reason) {
            this(command, reason, null);
        }

        boolean ofKey() {
            return reason.toLowerCase(Locale.ROOT).contains("access");
        }
    }

    /** The problems found, at most one per config key; empty when every command is allowed or could not be checked. */
    List<Problem> check() throws InterruptedException {
        List<Denial> denials = new ArrayList<>();
        boolean dryRun = true;
        for (Command command : commandsToSend()) {
            try {
                dryRun(command).ifPresent(reason -> denials.add(new Denial(command.text(), reason, command.keySetting())));
            } catch (DryRunUnavailable e) {
                log.info("ACL DRYRUN is not available to user '{}' ({}); checking SET and WAIT with probes that write nothing",
                        user, e.getMessage());
                denials.clear();
                denials.addAll(probe());
                dryRun = false;
                break;
            }
        }
        List<Problem> problems = new ArrayList<>();
        List<Denial> ofMarks = denials.stream().filter(d -> d.ofKey() && d.keySetting() != null).toList();
        List<Denial> ofKey = denials.stream().filter(d -> d.ofKey() && d.keySetting() == null).toList();
        List<Denial> ofCommand = denials.stream().filter(d -> !d.ofKey()).toList();
        if (!ofMarks.isEmpty()) {
            problems.add(markProblem(ofMarks));
        }
        if (!ofKey.isEmpty()) {
            // the sample key may be refused where the keys records really get are allowed (~dev:[0-9]* and
            // dev:${key}): refuse the config only when no key the template renders can be allowed
            Optional<List<String>> patterns = dryRun ? writablePatterns() : Optional.empty();
            if (patterns.isPresent() && patterns.get().stream().noneMatch(p -> AclKeyPatterns.mayMatch(keyGlob, p))) {
                problems.add(keyProblem(ofKey, patterns.get()));
            } else {
                log.warn("The ACL user '{}' may not write the sample key of {}={} ({}), though it may be allowed some of "
                        + "the keys records will get{}. Records whose key it refuses go to the dead-letter topic.", user,
                        RedisSinkConfig.KEY_TEMPLATE, config.keyTemplate(), describe(ofKey),
                        patterns.map(p -> " (key patterns " + p + ")").orElse(""));
            }
        }
        if (!ofCommand.isEmpty()) {
            problems.add(commandProblem(ofCommand));
        }
        return problems;
    }

    private List<Command> commandsToSend() {
        String key = new String(sampleKey, StandardCharsets.UTF_8);
        List<Command> planned = new ArrayList<>();
        if (config.layout() == RedisLayout.BUCKETS) {
            return bucketCommands(key);
        }
        if (config.command().appends()) {
            return appendCommands(key);
        }
        if (config.command() != io.redcompress.connect.config.WriteCommand.SET) {
            return structureCommands(key);
        }
        if (config.ttlMillis() > 0) {
            planned.add(new Command("SET " + key + " <value> PX " + config.ttlMillis(),
                    parts("SET", sampleKey, "v", "PX", Long.toString(config.ttlMillis()))));
        } else {
            planned.add(new Command("SET " + key + " <value>", parts("SET", sampleKey, "v")));
        }
        if (config.nullValueBehavior() == NullValueBehavior.DELETE) {
            planned.add(new Command("DEL " + key, parts("DEL", sampleKey)));
        }
        addWait(planned);
        return planned;
    }

    private void addWait(List<Command> planned) {
        if (config.waitReplicas() > 0) {
            planned.add(new Command("WAIT", parts("WAIT", Integer.toString(config.waitReplicas()),
                    Long.toString(config.waitTimeout().toMillis()))));
        }
    }

    /** HSET (and HPEXPIRE), HDEL and WAIT on a sample bucket, and SET NX of the layout marker. */
    private List<Command> bucketCommands(String bucket) {
        List<Command> planned = new ArrayList<>();
        planned.add(new Command("HSET " + bucket + " <field> <value>", parts("HSET", sampleKey, "f", "v")));
        if (config.ttlMillis() > 0) {
            planned.add(new Command("HPEXPIRE " + bucket + " " + config.ttlMillis() + " FIELDS 1 <field>",
                    parts("HPEXPIRE", sampleKey, Long.toString(config.ttlMillis()), "FIELDS", "1", "f")));
        }
        if (config.nullValueBehavior() == NullValueBehavior.DELETE) {
            planned.add(new Command("HDEL " + bucket + " <field>", parts("HDEL", sampleKey, "f")));
        }
        byte[] marker = config.bucketLayout().markerKey();
        planned.add(new Command("SET " + new String(marker, StandardCharsets.UTF_8) + " <layout> NX",
                parts("SET", marker, "v", "NX")));
        addWait(planned);
        return planned;
    }

    /**
     * The append script (EVAL on the data key and, with exactly once, a sample mark key under the prefix), and the
     * commands it runs: RPUSH, LPUSH or XADD, LTRIM, PEXPIRE, DEL, HGET and HSET of the mark.
     */
    private List<Command> appendCommands(String key) {
        List<Command> planned = new ArrayList<>();
        planned.add(new Command("EVAL <append script> 1 " + key, parts("EVAL", "return 0", "1", sampleKey)));
        byte[] mark = sampleMarkKey();
        if (mark != null) {
            String markText = new String(mark, StandardCharsets.UTF_8);
            planned.add(new Command("HGET " + markText + " <partition>", parts("HGET", mark, "t/0"),
                    RedisSinkConfig.REDIS_EXACTLY_ONCE_KEY_PREFIX));
            planned.add(new Command("HSET " + markText + " <partition> <offset>", parts("HSET", mark, "t/0", "0"),
                    RedisSinkConfig.REDIS_EXACTLY_ONCE_KEY_PREFIX));
        }
        String command = config.command().name();
        if (config.command() == io.redcompress.connect.config.WriteCommand.XADD) {
            planned.add(new Command("XADD " + key + " * <field> <value>", parts("XADD", sampleKey, "*", "f", "v")));
        } else {
            planned.add(new Command(command + " " + key + " <value>", parts(command, sampleKey, "v")));
            if (config.listMaxLength() > 0) {
                planned.add(new Command("LTRIM " + key, parts("LTRIM", sampleKey, "0", "1")));
            }
        }
        if (config.ttlMillis() > 0) {
            planned.add(new Command("PEXPIRE " + key, parts("PEXPIRE", sampleKey, Long.toString(config.ttlMillis()))));
        }
        if (config.nullValueBehavior() == NullValueBehavior.DELETE) {
            planned.add(new Command("DEL " + key, parts("DEL", sampleKey)));
        }
        addWait(planned);
        return planned;
    }

    /** HSET, SADD or ZADD on a sample key; DEL, SREM or ZREM for tombstones; the expiring script and PEXPIRE with ttl.ms. */
    private List<Command> structureCommands(String key) {
        List<Command> planned = new ArrayList<>();
        switch (config.command()) {
            case HSET -> planned.add(new Command("HSET " + key + " <field> <value>", parts("HSET", sampleKey, "f", "v")));
            case SADD -> planned.add(new Command("SADD " + key + " <member>", parts("SADD", sampleKey, "m")));
            default -> planned.add(new Command("ZADD " + key + " <score> <member>", parts("ZADD", sampleKey, "1", "m")));
        }
        if (config.nullValueBehavior() == NullValueBehavior.DELETE) {
            String remove = switch (config.command()) {
                case HSET -> "DEL";
                case SADD -> "SREM";
                default -> "ZREM";
            };
            planned.add(remove.equals("DEL") ? new Command("DEL " + key, parts("DEL", sampleKey))
                    : new Command(remove + " " + key + " <member>", parts(remove, sampleKey, "m")));
        }
        if (config.ttlMillis() > 0) {
            planned.add(new Command("EVAL <expiring script> 1 " + key, parts("EVAL", "return 0", "1", sampleKey)));
            planned.add(new Command("PEXPIRE " + key, parts("PEXPIRE", sampleKey, Long.toString(config.ttlMillis()))));
        }
        addWait(planned);
        return planned;
    }

    /** The mark key of the sample key's slot for a connector named "sample", or null without exactly once. */
    private byte[] sampleMarkKey() {
        if (!config.exactlyOnceAppends()) {
            return null;
        }
        String prefix = io.redcompress.connect.mapping.AppendLayout.markPrefix(config.exactlyOnceKeyPrefix(), "sample");
        int slot = io.redcompress.connect.layout.RedisSlot.of(sampleKey);
        return (prefix + "{" + io.redcompress.connect.layout.RedisSlot.tag(slot) + "}").getBytes(StandardCharsets.UTF_8);
    }

    private static final class DryRunUnavailable extends Exception {
        private static final long serialVersionUID = 1L;

        DryRunUnavailable(String message) {
            super(message, null, false, false);
        }
    }

    /** Empty when allowed; Redis's reason when not. */
    private Optional<String> dryRun(Command command) throws DryRunUnavailable, InterruptedException {
        CommandArgs<byte[], byte[]> args = new CommandArgs<>(ByteArrayCodec.INSTANCE).add("DRYRUN").add(user);
        command.parts().forEach(args::add);
        try {
            String reply = commands.dispatch(CommandType.ACL, new StatusOutput<>(ByteArrayCodec.INSTANCE), args)
                    .get(timeoutMillis, TimeUnit.MILLISECONDS);
            return "OK".equals(reply) ? Optional.empty() : Optional.of(reply);
        } catch (ExecutionException e) {
            // NOPERM for acl|dryrun itself, an unknown subcommand before Redis 7, a user Redis does not know by name
            throw new DryRunUnavailable(String.valueOf(e.getCause().getMessage()));
        } catch (java.util.concurrent.TimeoutException e) {
            throw new DryRunUnavailable("no reply within " + timeoutMillis + " ms");
        }
    }

    private List<Denial> probe() throws InterruptedException {
        List<Denial> problems = new ArrayList<>();
        if (config.command().appends()) {
            // a script that does nothing: Redis checks EVAL and the keys it names, and runs no command
            probeScript(sampleKey, null).ifPresent(problems::add);
            byte[] mark = sampleMarkKey();
            if (mark != null) {
                probeScript(mark, RedisSinkConfig.REDIS_EXACTLY_ONCE_KEY_PREFIX).ifPresent(problems::add);
            }
            return problems;
        }
        if (config.command() != io.redcompress.connect.config.WriteCommand.SET) {
            return problems; // HSET, SADD, ZADD cannot be probed without writing: the write path names a refusal
        }
        CommandArgs<byte[], byte[]> set = new CommandArgs<>(ByteArrayCodec.INSTANCE).addKey(sampleKey).add(new byte[0])
                .add("PX").add(0);
        probeDenial(CommandType.SET, set).ifPresent(reason -> problems.add(new Denial(
                "SET " + new String(sampleKey, StandardCharsets.UTF_8) + " <value>", reason)));
        if (config.waitReplicas() > 0) {
            CommandArgs<byte[], byte[]> wait = new CommandArgs<>(ByteArrayCodec.INSTANCE).add(0).add(0);
            probeDenial(CommandType.WAIT, wait).ifPresent(reason -> problems.add(new Denial("WAIT", reason)));
        }
        return problems;
    }

    private Optional<Denial> probeScript(byte[] key, String keySetting) throws InterruptedException {
        CommandArgs<byte[], byte[]> eval = new CommandArgs<>(ByteArrayCodec.INSTANCE).add("return 0").add(1).addKey(key);
        return probeDenial(CommandType.EVAL, eval).map(reason -> new Denial("EVAL <script> 1 "
                + new String(key, StandardCharsets.UTF_8), reason, keySetting));
    }

    /** Redis's NOPERM reply to the probe, or empty when the ACL let it through (whatever happened next). */
    private Optional<String> probeDenial(CommandType type, CommandArgs<byte[], byte[]> args) throws InterruptedException {
        try {
            commands.dispatch(type, new StatusOutput<>(ByteArrayCodec.INSTANCE), args).get(timeoutMillis, TimeUnit.MILLISECONDS);
            return Optional.empty();
        } catch (ExecutionException e) {
            Throwable cause = e.getCause();
            if (cause instanceof RedisCommandExecutionException && cause.getMessage() != null
                    && cause.getMessage().startsWith("NOPERM")) {
                return Optional.of(cause.getMessage());
            }
            return Optional.empty(); // "invalid expire time": the ACL check passed; anything else proves nothing
        } catch (java.util.concurrent.TimeoutException e) {
            return Optional.empty();
        }
    }

    private Problem markProblem(List<Denial> denials) {
        return new Problem(RedisSinkConfig.REDIS_EXACTLY_ONCE_KEY_PREFIX, "The ACL user '" + user + "' may not "
                + "write the high-water marks of exactly once under " + RedisSinkConfig.REDIS_EXACTLY_ONCE_KEY_PREFIX + "="
                + config.exactlyOnceKeyPrefix() + " (" + describe(denials) + "). Allow them (ACL SETUSER " + user + " ~"
                + config.exactlyOnceKeyPrefix() + "*), choose a prefix the user may write, or set "
                + RedisSinkConfig.REDIS_DELIVERY_GUARANTEE + "=at_least_once.");
    }

    private Problem keyProblem(List<Denial> denials, List<String> patterns) {
        if (config.layout() == RedisLayout.BUCKETS) {
            return new Problem(RedisSinkConfig.REDIS_BUCKET_PREFIX, "The ACL user '" + user + "' may not write the "
                    + "bucket keys " + RedisSinkConfig.REDIS_BUCKET_PREFIX + "=" + config.bucketPrefix() + " gives (" + keyGlob
                    + "): its key patterns " + patterns + " allow none of them (" + describe(denials) + "). Change "
                    + RedisSinkConfig.REDIS_BUCKET_PREFIX + " to a prefix the user's key patterns allow, or allow it "
                    + "(ACL SETUSER " + user + " ~" + keyGlob + ").");
        }
        return new Problem(RedisSinkConfig.KEY_TEMPLATE, "The ACL user '" + user + "' may not write any key that "
                + RedisSinkConfig.KEY_TEMPLATE + "=" + config.keyTemplate() + " gives (" + keyGlob + "): its key patterns "
                + patterns + " allow none of them (" + describe(denials) + "). Every record would go to the dead-letter "
                + "topic. Change " + RedisSinkConfig.KEY_TEMPLATE + " to keys the user's key patterns allow, or allow them "
                + "(ACL SETUSER " + user + " ~<pattern>).");
    }

    /** The user's write patterns, from ACL GETUSER; empty when it cannot be read or read simply. */
    private Optional<List<String>> writablePatterns() throws InterruptedException {
        try {
            List<Object> fields = commands.aclGetuser(user).get(timeoutMillis, TimeUnit.MILLISECONDS);
            String keys = null;
            boolean selectors = false;
            for (int i = 0; i + 1 < fields.size(); i += 2) {
                String name = text(fields.get(i));
                Object value = fields.get(i + 1);
                if ("keys".equals(name)) {
                    keys = value instanceof List<?> list
                            ? String.join(" ", list.stream().map(p -> "~" + text(p)).toList()) // Redis 6.2: a list
                            : text(value);
                } else if ("selectors".equals(name)) {
                    selectors = value instanceof List<?> list && !list.isEmpty();
                }
            }
            return keys == null ? Optional.empty() : AclKeyPatterns.writablePatterns(keys, selectors);
        } catch (ExecutionException | java.util.concurrent.TimeoutException | RuntimeException e) {
            return Optional.empty();
        }
    }

    private static String text(Object value) {
        return value instanceof byte[] bytes ? new String(bytes, StandardCharsets.UTF_8) : String.valueOf(value);
    }

    private Problem commandProblem(List<Denial> denials) {
        return new Problem(RedisSinkConfig.REDIS_USERNAME, "The ACL user '" + user + "' may not run " + describe(denials)
                + ". Every record would be refused. Grant the commands (ACL SETUSER " + user
                + grants()
                + (config.waitReplicas() > 0 ? " +wait" : "") + ") or set " + RedisSinkConfig.REDIS_USERNAME
                + " to a user that has them.");
    }

    private String grants() {
        if (config.layout() == RedisLayout.BUCKETS) {
            return " +hset +hdel +set" + (config.ttlMillis() > 0 ? " +hpexpire" : "");
        }
        if (config.command().appends()) {
            return " +eval +" + config.command().name().toLowerCase(Locale.ROOT) + (config.listMaxLength() > 0 ? " +ltrim" : "")
                    + (config.ttlMillis() > 0 ? " +pexpire" : "") + " +del" + (config.exactlyOnceAppends() ? " +hget +hset" : "");
        }
        if (config.command() != io.redcompress.connect.config.WriteCommand.SET) {
            String command = config.command().name().toLowerCase(Locale.ROOT);
            return " +" + command + (command.equals("hset") ? " +del" : command.equals("sadd") ? " +srem" : " +zrem")
                    + (config.ttlMillis() > 0 ? " +eval +pexpire" : "");
        }
        return " +set +del";
    }

    private static String describe(List<Denial> denials) {
        return String.join("; ", denials.stream().map(d -> d.command() + ": " + d.reason()).toList());
    }

    private static List<byte[]> parts(Object... parts) {
        List<byte[]> out = new ArrayList<>(parts.length);
        for (Object part : parts) {
            out.add(part instanceof byte[] bytes ? bytes : part.toString().getBytes(StandardCharsets.UTF_8));
        }
        return out;
    }
}
