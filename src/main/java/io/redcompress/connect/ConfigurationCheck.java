package io.redcompress.connect;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;

import org.apache.kafka.connect.sink.SinkTask;

import io.redcompress.connect.codec.Codec;
import io.redcompress.connect.config.NullValueBehavior;
import io.redcompress.connect.config.RedisLayout;
import io.redcompress.connect.config.RedisMode;
import io.redcompress.connect.config.RedisSinkConfig;
import io.redcompress.connect.config.WriteCommand;
import io.redcompress.connect.layout.BucketLayout;
import io.redcompress.connect.mapping.KeyTemplate;
import io.redcompress.connect.mapping.StructureLayout;
import io.redcompress.connect.redis.RedisConnectivityCheck;
import io.redcompress.connect.redis.RedisConnectivityCheck.Problem;

/**
 * What single config keys cannot check, in one place for {@code Connector.validate()} and the task's start, so that
 * both refuse a configuration in the same words, attached to the key to change: settings that contradict each
 * other, then Redis itself (reachable, the right kind, the ACL user allowed every command on a sample key).
 */
final class ConfigurationCheck {

    private ConfigurationCheck() {
    }

    /** Settings that contradict each other; needs no Redis. */
    static List<Problem> crossField(RedisSinkConfig config) {
        List<Problem> problems = new ArrayList<>();
        KeyTemplate template = KeyTemplate.parse(config.keyTemplate());
        if (template.usesValue() && config.nullValueBehavior() == NullValueBehavior.DELETE) {
            problems.add(new Problem(RedisSinkConfig.KEY_TEMPLATE, "key.template '" + config.keyTemplate() + "' reads the record value, "
                    + "which a tombstone does not have, so tombstones cannot be turned into DEL; build the key from "
                    + "${topic}/${partition}/${key} only, or set " + RedisSinkConfig.BEHAVIOR_ON_NULL_VALUES + "=ignore or fail"));
        }
        compressionLevelProblem(config).ifPresent(problems::add);
        bucketProblem(config).ifPresent(problems::add);
        commandProblem(config).ifPresent(problems::add);
        if (config.dictionaryMode().enabled() && config.codec() != Codec.ZSTD) {
            problems.add(new Problem(RedisSinkConfig.COMPRESSION_DICTIONARY, RedisSinkConfig.COMPRESSION_DICTIONARY + "="
                    + config.dictionaryMode() + " needs " + RedisSinkConfig.COMPRESSION_CODEC + "=zstd (it is "
                    + config.codec().configName() + "): dictionaries are a zstd feature. Set "
                    + RedisSinkConfig.COMPRESSION_CODEC + "=zstd, or " + RedisSinkConfig.COMPRESSION_DICTIONARY + "=none."));
        }
        if (config.waitReplicas() > 0 && config.waitTimeout().compareTo(config.commandTimeout()) >= 0) {
            problems.add(new Problem(RedisSinkConfig.REDIS_WAIT_TIMEOUT_MS, RedisSinkConfig.REDIS_WAIT_TIMEOUT_MS + "="
                    + config.waitTimeout().toMillis() + " is not below " + RedisSinkConfig.REDIS_COMMAND_TIMEOUT_MS + "="
                    + config.commandTimeout().toMillis() + ": the client would give up on WAIT before Redis answers it, and "
                    + "every pipeline would time out. Lower " + RedisSinkConfig.REDIS_WAIT_TIMEOUT_MS + " or raise "
                    + RedisSinkConfig.REDIS_COMMAND_TIMEOUT_MS + "."));
        }
        return problems;
    }

    private static Optional<Problem> bucketProblem(RedisSinkConfig config) {
        if (config.layout() != RedisLayout.BUCKETS) {
            return Optional.empty();
        }
        String buckets = RedisSinkConfig.REDIS_LAYOUT + "=buckets";
        if (config.bucketPrefix().isEmpty()) {
            return Optional.of(new Problem(RedisSinkConfig.REDIS_BUCKET_PREFIX, buckets + " needs "
                    + RedisSinkConfig.REDIS_BUCKET_PREFIX + ", the prefix of the bucket keys (for example 'devices:b:'); "
                    + "the ACL user must be allowed keys that begin with it."));
        }
        String prefix = config.bucketPrefix();
        if (Character.isDigit(prefix.charAt(prefix.length() - 1))) {
            return Optional.of(new Problem(RedisSinkConfig.REDIS_BUCKET_PREFIX, RedisSinkConfig.REDIS_BUCKET_PREFIX
                    + "=" + prefix + " ends in a digit, so its bucket keys could be another prefix's: bucket 0 of '"
                    + prefix + "' is bucket " + prefix.charAt(prefix.length() - 1) + "0 of '" + prefix.substring(0,
                    prefix.length() - 1) + "'. End it with a separator, such as ':'."));
        }
        int open = prefix.indexOf('{');
        if (config.redisMode() == RedisMode.CLUSTER && open >= 0 && prefix.indexOf('}', open + 2) > 0) {
            return Optional.of(new Problem(RedisSinkConfig.REDIS_BUCKET_PREFIX, RedisSinkConfig.REDIS_BUCKET_PREFIX
                    + "=" + prefix + " holds a hash tag: Redis Cluster would put every bucket in one slot, on one node. "
                    + "Remove the braces."));
        }
        boolean count = config.bucketCountSetting() > 0;
        boolean expected = config.bucketExpectedKeys() > 0;
        if (count == expected) {
            return Optional.of(new Problem(RedisSinkConfig.REDIS_BUCKET_COUNT, buckets + " needs exactly one of "
                    + RedisSinkConfig.REDIS_BUCKET_COUNT + " (the number of buckets) and " + RedisSinkConfig.REDIS_BUCKET_EXPECTED_KEYS
                    + " (how many keys the topics hold, from which the count is derived)" + (count ? "; both are set" : "")
                    + "."));
        }
        return Optional.empty();
    }

    /** Options of one command set with another, and commands the bucketed layout cannot carry. */
    private static Optional<Problem> commandProblem(RedisSinkConfig config) {
        WriteCommand command = config.command();
        String current = RedisSinkConfig.REDIS_COMMAND + "=" + command;
        if (command != WriteCommand.SET && config.layout() == RedisLayout.BUCKETS) {
            return Optional.of(new Problem(RedisSinkConfig.REDIS_LAYOUT, RedisSinkConfig.REDIS_LAYOUT
                    + "=buckets packs values into hash fields, which " + current + " does not write: use "
                    + RedisSinkConfig.REDIS_LAYOUT + "=keys, or " + RedisSinkConfig.REDIS_COMMAND + "=set."));
        }
        if (config.listMaxLength() > 0 && !command.isList()) {
            return Optional.of(new Problem(RedisSinkConfig.REDIS_LIST_MAX_LENGTH, RedisSinkConfig.REDIS_LIST_MAX_LENGTH
                    + " caps lists, which " + current + " does not write: set it with rpush or lpush, or leave it at 0."));
        }
        Optional<Problem> structure = structureProblem(config, command, current);
        if (structure.isPresent()) {
            return structure;
        }
        if (command != WriteCommand.XADD) {
            String streamOption = config.streamMaxLength() > 0 ? RedisSinkConfig.REDIS_STREAM_MAX_LENGTH
                    : config.streamMaxAgeMillis() > 0 ? RedisSinkConfig.REDIS_STREAM_MAX_AGE_MS
                    : !config.streamExtraFields().isEmpty() ? RedisSinkConfig.REDIS_STREAM_EXTRA_FIELDS : null;
            if (streamOption != null) {
                return Optional.of(new Problem(streamOption, streamOption + " is about streams, which " + current
                        + " does not write: set it with " + RedisSinkConfig.REDIS_COMMAND + "=xadd, or remove it."));
            }
        }
        if (config.streamMaxLength() > 0 && config.streamMaxAgeMillis() > 0) {
            return Optional.of(new Problem(RedisSinkConfig.REDIS_STREAM_MAX_AGE_MS, "XADD trims by one rule: "
                    + RedisSinkConfig.REDIS_STREAM_MAX_AGE_MS + " (MINID) or " + RedisSinkConfig.REDIS_STREAM_MAX_LENGTH
                    + " (MAXLEN), not both: set one of them to 0."));
        }
        return Optional.empty();
    }

    /** HSET, SADD and ZADD: their options, a score for ZADD, tombstones that can name their member, no dictionary for members. */
    private static Optional<Problem> structureProblem(RedisSinkConfig config, WriteCommand command, String current) {
        if (!config.hashFields().all() && command != WriteCommand.HSET) {
            return Optional.of(new Problem(RedisSinkConfig.REDIS_HASH_FIELDS, RedisSinkConfig.REDIS_HASH_FIELDS
                    + " selects the fields of hset, not of " + current + ": remove it."));
        }
        if (!config.memberTemplate().isEmpty() && !command.addsMembers()) {
            return Optional.of(new Problem(RedisSinkConfig.REDIS_MEMBER_TEMPLATE, RedisSinkConfig.REDIS_MEMBER_TEMPLATE
                    + " makes the members of sadd and zadd, not of " + current + ": remove it."));
        }
        boolean scored = !config.zsetScore().isBlank();
        if (scored != (command == WriteCommand.ZADD)) {
            return Optional.of(new Problem(RedisSinkConfig.REDIS_ZSET_SCORE, scored
                    ? RedisSinkConfig.REDIS_ZSET_SCORE + " is the score of zadd, not of " + current + ": remove it."
                    : current + " needs a score: set " + RedisSinkConfig.REDIS_ZSET_SCORE + " to 'timestamp' (the record "
                    + "timestamp) or a template of a numeric value field such as ${value.temperature}."));
        }
        if (command.addsMembers() && config.nullValueBehavior() == NullValueBehavior.DELETE
                && !StructureLayout.tombstoneRemoves(config.memberTemplate())) {
            return Optional.of(new Problem(RedisSinkConfig.BEHAVIOR_ON_NULL_VALUES, current + " with "
                    + RedisSinkConfig.BEHAVIOR_ON_NULL_VALUES + "=delete removes the member a tombstone names, but "
                    + RedisSinkConfig.REDIS_MEMBER_TEMPLATE + "='" + config.memberTemplate() + "' needs the value, which a "
                    + "tombstone does not have. Set " + RedisSinkConfig.BEHAVIOR_ON_NULL_VALUES + "=ignore or fail, or make "
                    + "the member from ${key}."));
        }
        if (command.addsMembers() && config.dictionaryMode().enabled()) {
            return Optional.of(new Problem(RedisSinkConfig.COMPRESSION_DICTIONARY, current + " encodes each member "
                    + "alone, without a dictionary, so that the same member stays the same bytes (a dictionary changes "
                    + "when it is retrained): set " + RedisSinkConfig.COMPRESSION_DICTIONARY + "=none."));
        }
        return Optional.empty();
    }

    private static Optional<Problem> compressionLevelProblem(RedisSinkConfig config) {
        int level = config.compressionLevel();
        if (level == 0) {
            return Optional.empty();
        }
        Codec codec = config.codec();
        String problem = switch (codec) {
            case ZSTD -> level > 22 ? "zstd levels are 1-22" : null;
            case GZIP -> level > 9 ? "gzip levels are 1-9" : null;
            default -> "codec " + codec.name().toLowerCase(Locale.ROOT) + " has no levels; leave "
                    + RedisSinkConfig.COMPRESSION_LEVEL + " at 0";
        };
        return Optional.ofNullable(problem).map(p -> new Problem(RedisSinkConfig.COMPRESSION_LEVEL,
                RedisSinkConfig.COMPRESSION_LEVEL + "=" + level + " is not valid: " + p));
    }

    /** Redis as this configuration will use it, for the topics of {@code connectorProps}. */
    static List<Problem> redis(RedisSinkConfig config, Map<String, String> connectorProps) {
        KeySample sample = KeySample.of(config, connectorProps);
        return RedisConnectivityCheck.check(config, sample.key(), sample.glob());
    }

    /** What the ACL check looks at: the key the template gives a sample record, and every key it can give, as a glob. */
    record KeySample(byte[] key, String glob) {

        static KeySample of(RedisSinkConfig config, Map<String, String> connectorProps) {
            KeyTemplate template = KeyTemplate.parse(config.keyTemplate());
            byte[] sampleKey = template.sampleKey(sampleTopic(connectorProps));
            if (config.layout() == RedisLayout.BUCKETS) {
                BucketLayout buckets = config.bucketLayout();
                return new KeySample(buckets.bucketKey(sampleKey), buckets.keyGlob());
            }
            return new KeySample(sampleKey, template.glob(onlyTopic(connectorProps)));
        }
    }

    /** The topic when {@code topics} names exactly one; null (any topic) otherwise. */
    private static String onlyTopic(Map<String, String> connectorProps) {
        String topics = connectorProps.get(SinkTask.TOPICS_CONFIG);
        return topics != null && !topics.contains(",") && !topics.isBlank() ? topics.trim() : null;
    }

    /** The first topic of {@code topics}; with topics.regex there is no name to take, and the sample stands for one. */
    static String sampleTopic(Map<String, String> connectorProps) {
        String topics = connectorProps.get(SinkTask.TOPICS_CONFIG);
        if (topics != null) {
            for (String topic : topics.split(",")) {
                if (!topic.isBlank()) {
                    return topic.trim();
                }
            }
        }
        return KeyTemplate.SAMPLE_VALUE;
    }
}
