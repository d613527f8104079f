package io.redcompress.connect.config;

import java.time.Duration;
import java.util.List;
import java.util.Map;

import org.apache.kafka.common.config.AbstractConfig;
import org.apache.kafka.common.config.ConfigDef;
import org.apache.kafka.common.config.ConfigDef.Importance;
import org.apache.kafka.common.config.ConfigDef.Range;
import org.apache.kafka.common.config.ConfigDef.Type;
import org.apache.kafka.common.config.ConfigDef.Width;
import org.apache.kafka.common.config.ConfigException;
import org.apache.kafka.common.config.types.Password;

import io.redcompress.connect.codec.Codec;
import io.redcompress.connect.layout.BucketLayout;
import io.redcompress.connect.mapping.KeyTemplate;

/** The connector's configuration: one {@link ConfigDef}, built group by group, with typed getters. */
public final class RedisSinkConfig extends AbstractConfig {

    public static final String CONNECTION_GROUP = "Connection";
    public static final String TLS_GROUP = "TLS";
    public static final String KEYS_VALUES_GROUP = "Keys & values";
    public static final String LAYOUT_GROUP = "Layout";
    public static final String COMMANDS_GROUP = "Commands";
    public static final String COMPRESSION_GROUP = "Compression";
    public static final String RELIABILITY_GROUP = "Reliability";
    public static final String ERRORS_GROUP = "Errors";

    // Connection
    public static final String REDIS_URI = "redis.uri";
    public static final String REDIS_URI_DEFAULT = "redis://localhost:6379";
    private static final String REDIS_URI_DOC = "Where Redis is: redis://host:port[/database] (rediss:// for TLS); for "
            + "redis.mode=sentinel redis-sentinel://host:port[,host:port...]#masterName; for redis.mode=cluster one or more "
            + "seed nodes, comma-separated. Credentials may be given here (redis://user:password@host:port) or, better, in "
            + "redis.username and redis.password. Because it may carry a password, this key is typed 'password': Connect shows "
            + "it as [hidden] in validation responses and config dumps, and the connector's own messages name only host:port.";
    private static final String REDIS_URI_DISPLAY = "Redis URI";

    public static final String REDIS_MODE = "redis.mode";
    public static final String REDIS_MODE_DEFAULT = RedisMode.STANDALONE.toString();
    private static final String REDIS_MODE_DOC = "The kind of deployment: 'standalone' (one server: redis:// or rediss://), "
            + "'sentinel' (redis.uri=redis-sentinel://host:26379,host:26380#masterName, followed across failovers), "
            + "'cluster' (redis.uri lists one or more seed nodes, comma-separated: redis://host:7000,redis://host:7001).";
    private static final String REDIS_MODE_DISPLAY = "Mode";

    public static final String REDIS_USERNAME = "redis.username";
    private static final String REDIS_USERNAME_DOC = "ACL user name (Redis 6+). Leave empty for the default user.";
    private static final String REDIS_USERNAME_DISPLAY = "User name";

    public static final String REDIS_PASSWORD = "redis.password";
    private static final String REDIS_PASSWORD_DOC = "Password for AUTH. Overrides a password in redis.uri. Never logged.";
    private static final String REDIS_PASSWORD_DISPLAY = "Password";

    public static final String REDIS_CONNECT_TIMEOUT_MS = "redis.connect.timeout.ms";
    public static final long REDIS_CONNECT_TIMEOUT_MS_DEFAULT = 10_000L;
    private static final String REDIS_CONNECT_TIMEOUT_MS_DOC = "How long to wait for a TCP connection (and TLS handshake) to Redis.";
    private static final String REDIS_CONNECT_TIMEOUT_MS_DISPLAY = "Connect timeout (ms)";

    public static final String REDIS_COMMAND_TIMEOUT_MS = "redis.command.timeout.ms";
    public static final long REDIS_COMMAND_TIMEOUT_MS_DEFAULT = 30_000L;
    private static final String REDIS_COMMAND_TIMEOUT_MS_DOC = "How long a pipeline's replies may take before the pipeline counts as failed "
            + "and is retried. Consider increasing it for very large values or a slow network.";
    private static final String REDIS_COMMAND_TIMEOUT_MS_DISPLAY = "Command timeout (ms)";

    // TLS
    public static final String SSL_TRUSTSTORE_LOCATION = "redis.ssl.truststore.location";
    private static final String SSL_TRUSTSTORE_LOCATION_DOC = "File with the certificates that sign Redis's certificate, for rediss:// URIs. "
            + "Empty: the JVM's default trust store.";
    private static final String SSL_TRUSTSTORE_LOCATION_DISPLAY = "Trust store";

    public static final String SSL_TRUSTSTORE_TYPE = "redis.ssl.truststore.type";
    private static final String SSL_TRUSTSTORE_TYPE_DOC = "Format of the trust store: 'pem' (one or more PEM certificates), 'jks' or 'pkcs12'.";
    private static final String SSL_TRUSTSTORE_TYPE_DISPLAY = "Trust store type";

    public static final String SSL_TRUSTSTORE_PASSWORD = "redis.ssl.truststore.password";
    private static final String SSL_TRUSTSTORE_PASSWORD_DOC = "Password of a jks or pkcs12 trust store.";
    private static final String SSL_TRUSTSTORE_PASSWORD_DISPLAY = "Trust store password";

    public static final String SSL_KEYSTORE_LOCATION = "redis.ssl.keystore.location";
    private static final String SSL_KEYSTORE_LOCATION_DOC = "Key store (jks or pkcs12) with the client certificate and key, when Redis "
            + "requires client certificates (tls-auth-clients yes). Empty: no client certificate.";
    private static final String SSL_KEYSTORE_LOCATION_DISPLAY = "Key store";

    public static final String SSL_KEYSTORE_TYPE = "redis.ssl.keystore.type";
    private static final String SSL_KEYSTORE_TYPE_DOC = "Format of the key store: 'jks' or 'pkcs12'.";
    private static final String SSL_KEYSTORE_TYPE_DISPLAY = "Key store type";

    public static final String SSL_KEYSTORE_PASSWORD = "redis.ssl.keystore.password";
    private static final String SSL_KEYSTORE_PASSWORD_DOC = "Password of the key store and of the key in it.";
    private static final String SSL_KEYSTORE_PASSWORD_DISPLAY = "Key store password";

    public static final String SSL_ENDPOINT_IDENTIFICATION_ENABLED = "redis.ssl.endpoint.identification.enabled";
    private static final String SSL_ENDPOINT_IDENTIFICATION_ENABLED_DOC = "Check that Redis's certificate names the host connected to "
            + "(hostname verification). Turn off only for certificates without the right names, and never on an untrusted network.";
    private static final String SSL_ENDPOINT_IDENTIFICATION_ENABLED_DISPLAY = "Hostname verification";

    // Keys & values
    public static final String KEY_TEMPLATE = "key.template";
    public static final String KEY_TEMPLATE_DEFAULT = "${topic}:${key}";
    private static final String KEY_TEMPLATE_DOC = "How the Redis key is made from a record. Literal text plus placeholders: "
            + "${topic}, ${partition}, ${offset}, ${key} (the whole record key), ${key.<field>} and ${value.<field>} "
            + "(a field of a Struct or Map key or value; nested fields with dots, e.g. ${value.device.id}). "
            + "A record whose key cannot be formed goes to the dead-letter topic. How parts are rendered: strings and bytes as "
            + "they are; integers and decimals in plain decimal; a double or float as the shortest plain decimal that reads "
            + "back as the same number, with at least one digit after the point (1.0E10 gives 10000000000.0, -0.0 stays -0.0, "
            + "NaN and Infinity as those words); Structs, Maps and Lists as compact JSON, Map entries sorted by key, so equal "
            + "keys give one Redis key whatever their order. Parts are joined as they are, without escaping: in "
            + "${key.a}:${key.b}, a='x', b='y:z' and a='x:y', b='z' both give x:y:z. A join is unambiguous when the text "
            + "between two parts has a character one of them cannot contain (a topic has only letters, digits, '.', '_' "
            + "and '-'; a partition or offset only digits), as in the default ${topic}:${key}; a task logs a WARN at start "
            + "for every other join of two placeholders.";
    private static final String KEY_TEMPLATE_DISPLAY = "Key template";

    public static final String TTL_MS = "ttl.ms";
    public static final long TTL_MS_DEFAULT = 0L;
    /** 100 years: far beyond any use, and far from where Redis's expiry arithmetic (now + ttl) overflows. */
    public static final long TTL_MS_MAX = 100L * 365 * 24 * 3600 * 1000;
    private static final String TTL_MS_DOC = "Time to live of every written key, in milliseconds, set atomically with the value "
            + "(SET key value PX ttl). 0 means keys never expire. With redis.layout=buckets, each entry (hash field) expires on its "
            + "own: HPEXPIRE follows each HSET in the same pipeline, which needs Redis 7.4 or later.";
    private static final String TTL_MS_DISPLAY = "TTL (ms)";

    public static final String BEHAVIOR_ON_NULL_VALUES = "behavior.on.null.values";
    public static final String BEHAVIOR_ON_NULL_VALUES_DEFAULT = NullValueBehavior.DELETE.toString();
    private static final String BEHAVIOR_ON_NULL_VALUES_DOC = "What a tombstone (a record with a null value) does: "
            + "'delete' issues DEL key in offset order with the partition's other writes; 'ignore' skips it; "
            + "'fail' stops the task, naming the record.";
    private static final String BEHAVIOR_ON_NULL_VALUES_DISPLAY = "Behavior on null values";

    public static final String MAX_VALUE_BYTES = "max.value.bytes";
    public static final int MAX_VALUE_BYTES_DEFAULT = 16 * 1024 * 1024;
    private static final String MAX_VALUE_BYTES_DOC = "The largest serialised (uncompressed) value accepted, in bytes. "
            + "A larger record goes to the dead-letter topic. Keep it at or below what consumers' decoders accept "
            + "(the shipped decoder's default cap is 64 MiB).";
    private static final String MAX_VALUE_BYTES_DISPLAY = "Max value bytes";

    // Layout
    public static final String REDIS_LAYOUT = "redis.layout";
    public static final String REDIS_LAYOUT_DEFAULT = RedisLayout.KEYS.toString();
    private static final String REDIS_LAYOUT_DOC = "How records are laid out in Redis. 'keys': one Redis key per record key "
            + "(SET key value, tombstone DEL key). 'buckets': entries packed into small hashes that Redis keeps "
            + "listpack-encoded, which removes most of Redis's ~95 bytes of overhead per key: HSET <bucket> <key> value "
            + "(tombstone HDEL), where <key> is what key.template renders and <bucket> is redis.bucket.prefix followed by "
            + "CRC-32(key) mod the bucket count, in decimal (docs/bucketed-layout.md shows how applications read it). "
            + "With buckets, ttl.ms needs Redis 7.4 or later (per-field expiry, HPEXPIRE).";
    private static final String REDIS_LAYOUT_DISPLAY = "Layout";

    public static final String REDIS_BUCKET_PREFIX = "redis.bucket.prefix";
    private static final String REDIS_BUCKET_PREFIX_DOC = "With redis.layout=buckets: the prefix of the bucket keys (required). "
            + "Bucket n is the key <prefix><n>, and <prefix>layout keeps the layout's parameters (hash, bucket count, field "
            + "rule, version); a task whose configuration disagrees with them refuses to start. The ACL user must be allowed "
            + "keys that begin with it.";
    private static final String REDIS_BUCKET_PREFIX_DISPLAY = "Bucket key prefix";

    public static final String REDIS_BUCKET_COUNT = "redis.bucket.count";
    public static final int REDIS_BUCKET_COUNT_DEFAULT = 0;
    private static final String REDIS_BUCKET_COUNT_DOC = "With redis.layout=buckets: the number of buckets. Aim at about 94 "
            + "entries per bucket with Redis's default hash-max-listpack-entries=128 (floor(L - 3*sqrt(L)) for a limit L: "
            + "208 for 256), so that almost no bucket outgrows its listpack. 0 means derive it from "
            + "redis.bucket.expected.keys. Fixed for the life of the keyspace: to change it, re-bucket with the command-line "
            + "tool (docs/bucketed-layout.md).";
    private static final String REDIS_BUCKET_COUNT_DISPLAY = "Bucket count";

    public static final String REDIS_BUCKET_EXPECTED_KEYS = "redis.bucket.expected.keys";
    public static final long REDIS_BUCKET_EXPECTED_KEYS_DEFAULT = 0L;
    /** A hundred billion: far beyond one Redis, and within the int bucket count the derivation gives. */
    public static final long REDIS_BUCKET_EXPECTED_KEYS_MAX = 100_000_000_000L;
    private static final String REDIS_BUCKET_EXPECTED_KEYS_DOC = "With redis.layout=buckets and redis.bucket.count=0: how many "
            + "distinct keys the topics will hold; the bucket count is ceil(expected / 94), sized for Redis's default "
            + "hash-max-listpack-entries=128 (set redis.bucket.count instead for another limit). Over-estimate rather than "
            + "under: a bucket that outgrows its listpack becomes a hashtable for good and costs about twice the memory.";
    private static final String REDIS_BUCKET_EXPECTED_KEYS_DISPLAY = "Expected keys";

    // Commands
    public static final String REDIS_COMMAND = "redis.command";
    public static final String REDIS_COMMAND_DEFAULT = WriteCommand.SET.toString();
    private static final String REDIS_COMMAND_DOC = "The Redis command each record becomes, on the key key.template renders. "
            + "'set': SET key value (tombstone DEL key; with redis.layout=buckets, HSET into a bucket). 'rpush' / 'lpush': "
            + "the value appended at the tail / pushed at the head of a list (redis.list.max.length caps it). 'xadd': one "
            + "stream entry per record, the value in the field redis.stream.value.field, plus redis.stream.extra.fields "
            + "(redis.stream.max.length trims it). For rpush, lpush and xadd a tombstone deletes the whole list or stream "
            + "with behavior.on.null.values=delete. 'hset': a Struct or Map value's top-level fields (redis.hash.fields) as "
            + "hash fields, each field's value in the value format; tombstone DEL key. 'sadd' / 'zadd': a member per record "
            + "(redis.member.template), ZADD with the score redis.zset.score; a tombstone removes the member when the "
            + "template can render it without a value. Values are in the value format whatever the command (docs/commands.md).";
    private static final String REDIS_COMMAND_DISPLAY = "Command";

    public static final String REDIS_DELIVERY_GUARANTEE = "redis.delivery.guarantee";
    public static final String REDIS_DELIVERY_GUARANTEE_DEFAULT = DeliveryGuarantee.EXACTLY_ONCE.toString();
    private static final String REDIS_DELIVERY_GUARANTEE_DOC = "For rpush, lpush and xadd, which a redelivered record "
            + "(after a crash, a retried pipeline, a rebalance) would append twice. 'exactly_once': each write goes in one "
            + "script with a high-water mark of its source partition, kept under redis.exactly.once.key.prefix in the "
            + "data key's cluster slot; a record at or below the mark is skipped as a duplicate. 'at_least_once': plain "
            + "commands, faster, and a redelivery appends again. SET, DEL and HSET are idempotent either way.";
    private static final String REDIS_DELIVERY_GUARANTEE_DISPLAY = "Delivery guarantee";

    public static final String REDIS_EXACTLY_ONCE_KEY_PREFIX = "redis.exactly.once.key.prefix";
    public static final String REDIS_EXACTLY_ONCE_KEY_PREFIX_DEFAULT = "redcompress:eo:";
    private static final String REDIS_EXACTLY_ONCE_KEY_PREFIX_DOC = "With redis.delivery.guarantee=exactly_once: where the "
            + "high-water marks are kept, <prefix><connector name>:{<slot tag>}, one small hash per Redis Cluster slot "
            + "written to, a field per source partition. The ACL user must be allowed these keys. Deleting them makes the "
            + "connector take nothing for a duplicate (to write again records at or below the marks on purpose).";
    private static final String REDIS_EXACTLY_ONCE_KEY_PREFIX_DISPLAY = "Exactly-once key prefix";

    public static final String REDIS_LIST_MAX_LENGTH = "redis.list.max.length";
    private static final String REDIS_LIST_MAX_LENGTH_DOC = "With rpush or lpush: keep at most this many elements per "
            + "list, the newest (LTRIM after each push). 0: no cap.";
    private static final String REDIS_LIST_MAX_LENGTH_DISPLAY = "List max length";

    public static final String REDIS_STREAM_MAX_LENGTH = "redis.stream.max.length";
    private static final String REDIS_STREAM_MAX_LENGTH_DOC = "With xadd: trim each stream to about this many entries "
            + "(XADD MAXLEN ~ n: Redis trims whole macro nodes, so a stream may hold somewhat more). 0: no trimming.";
    private static final String REDIS_STREAM_MAX_LENGTH_DISPLAY = "Stream max length";

    public static final String REDIS_STREAM_MAX_AGE_MS = "redis.stream.max.age.ms";
    private static final String REDIS_STREAM_MAX_AGE_MS_DOC = "With xadd: trim entries older than this from each stream "
            + "as it is written to (XADD MINID ~ <now - age>, the entry ids and 'now' both Redis's clock, in "
            + "milliseconds). 0: no trimming by age. Redis trims by one rule per XADD: set this or "
            + REDIS_STREAM_MAX_LENGTH + ", not both.";
    private static final String REDIS_STREAM_MAX_AGE_MS_DISPLAY = "Stream max age (ms)";

    public static final String REDIS_STREAM_VALUE_FIELD = "redis.stream.value.field";
    public static final String REDIS_STREAM_VALUE_FIELD_DEFAULT = "value";
    private static final String REDIS_STREAM_VALUE_FIELD_DOC = "With xadd: the entry field that holds the encoded value.";
    private static final String REDIS_STREAM_VALUE_FIELD_DISPLAY = "Stream value field";

    public static final String REDIS_STREAM_EXTRA_FIELDS = "redis.stream.extra.fields";
    private static final String REDIS_STREAM_EXTRA_FIELDS_DOC = "With xadd: fields added to each entry after the value, "
            + "in this order, each named as listed: 'key' (the record key, as text), 'timestamp' (the record timestamp, "
            + "epoch milliseconds), 'topic', 'partition', 'offset', and 'header.<name>' (that header's value as text; "
            + "the field is left out when the record has no such header).";
    private static final String REDIS_STREAM_EXTRA_FIELDS_DISPLAY = "Stream extra fields";

    public static final String REDIS_HASH_FIELDS = "redis.hash.fields";
    private static final String REDIS_HASH_FIELDS_DOC = "With hset: the top-level fields written, each 'name' or "
            + "'name:hash-field' to rename it; empty: every field under its own name. A field that is null in a record is "
            + "not written (HSET cannot store null); fields of earlier records stay unless a tombstone deletes the hash.";
    private static final String REDIS_HASH_FIELDS_DISPLAY = "Hash fields";

    public static final String REDIS_MEMBER_TEMPLATE = "redis.member.template";
    private static final String REDIS_MEMBER_TEMPLATE_DOC = "With sadd or zadd: how the member is made, with the "
            + "placeholders of key.template (for example ${key} or ${value.device}), written as plain UTF-8 text. Empty: the "
            + "whole value in the value format, compressed without a dictionary (so that the same value is the same member; "
            + "changing compression.codec or its level then changes the members). A tombstone removes the member (SREM, "
            + "ZREM) only when the template does not read the value.";
    private static final String REDIS_MEMBER_TEMPLATE_DISPLAY = "Member template";

    public static final String REDIS_ZSET_SCORE = "redis.zset.score";
    private static final String REDIS_ZSET_SCORE_DOC = "With zadd (required): the score, 'timestamp' (the record "
            + "timestamp, epoch milliseconds) or a template such as ${value.temperature} that renders a number.";
    private static final String REDIS_ZSET_SCORE_DISPLAY = "Sorted set score";

    // Compression
    public static final String COMPRESSION_CODEC = "compression.codec";
    public static final String COMPRESSION_CODEC_DEFAULT = "lz4";
    private static final String COMPRESSION_CODEC_DOC = "Codec for values. Every value is written in the self-describing format of "
            + "docs/value-format.md, whose header names the codec actually used.";
    private static final String COMPRESSION_CODEC_DISPLAY = "Codec";

    public static final String COMPRESSION_LEVEL = "compression.level";
    public static final int COMPRESSION_LEVEL_DEFAULT = 0;
    private static final String COMPRESSION_LEVEL_DOC = "Compression level for zstd (1-22) and gzip (1-9). "
            + "0 means the connector's default: zstd 1 (on values of 0.2 to 1.5 KB, with or without a dictionary, as small "
            + "as zstd's own default 3, within 2%, for 9 to 25% less CPU), gzip 6. Other codecs have no levels and accept only 0.";
    private static final String COMPRESSION_LEVEL_DISPLAY = "Level";

    public static final String COMPRESSION_MIN_BYTES = "compression.min.bytes";
    public static final int COMPRESSION_MIN_BYTES_DEFAULT = 64;
    private static final String COMPRESSION_MIN_BYTES_DOC = "Values shorter than this are stored with codec 'none' inside the same format: "
            + "compressing them costs CPU and rarely saves bytes. Values that do not shrink are stored the same way. "
            + "Above this size each task also stops compressing sizes of value where it does not pay: per size class "
            + "(powers of two: 64-127 bytes, 128-255, ...), once 64 attempts in a row saved less than 3% of the bytes they took in, "
            + "the class is stored as 'none' too, except one value in 32 that is compressed as a probe; once 8 probes in a row "
            + "save 3% or more, every value of the class is compressed again. So lz4 or snappy on small JSON that never shrinks "
            + "costs almost no CPU, while zstd, which still saves about 10% on it, keeps compressing it. Readers see valid values "
            + "either way.";
    private static final String COMPRESSION_MIN_BYTES_DISPLAY = "Minimum size to compress";

    public static final String COMPRESSION_CHECKSUM_ENABLED = "compression.checksum.enabled";
    private static final String COMPRESSION_CHECKSUM_ENABLED_DOC = "Store a CRC32C of the original bytes in each value's header, so that a "
            + "truncated or corrupted value is detected by every decoder instead of being decoded silently. Costs 4 bytes per value.";
    private static final String COMPRESSION_CHECKSUM_ENABLED_DISPLAY = "Checksum";

    public static final String COMPRESSION_DICTIONARY = "compression.dictionary";
    public static final String COMPRESSION_DICTIONARY_NONE = "none";
    public static final String COMPRESSION_DICTIONARY_AUTO = "auto";
    public static final String COMPRESSION_DICTIONARY_DEFAULT = COMPRESSION_DICTIONARY_NONE;
    private static final String COMPRESSION_DICTIONARY_DOC = "zstd dictionaries, which make small values (IoT heartbeats, "
            + "small JSON) shrink: 'none'; 'auto', where each task samples the values of each topic, trains a dictionary in the "
            + "background, stores it in Redis (" + "compression.dictionary.key.prefix" + ":<id>, written once, never "
            + "overwritten, never expiring) and, once Redis has acknowledged it, compresses with it; or the numeric id of a "
            + "dictionary already stored there (trained with the command-line tool), used for every topic. Values name their "
            + "dictionary in their header, and readers fetch it from Redis by that id. Needs compression.codec=zstd.";
    private static final String COMPRESSION_DICTIONARY_DISPLAY = "Dictionary";

    public static final String COMPRESSION_DICTIONARY_KEY_PREFIX = "compression.dictionary.key.prefix";
    public static final String COMPRESSION_DICTIONARY_KEY_PREFIX_DEFAULT = "redcompress:dict";
    private static final String COMPRESSION_DICTIONARY_KEY_PREFIX_DOC = "Key prefix of the dictionaries in Redis: dictionary <id> "
            + "is the string key <prefix>:<id>, holding the raw zstd dictionary. <prefix>:active:<connector>:<topic> names "
            + "the dictionary a connector last used for a topic, so that a restarted task uses it again instead of training. "
            + "The Redis user needs SET and GET on these keys (and WAIT with redis.wait.replicas); without them, values are "
            + "written without a dictionary.";
    private static final String COMPRESSION_DICTIONARY_KEY_PREFIX_DISPLAY = "Dictionary key prefix";

    public static final String COMPRESSION_DICTIONARY_SIZE_BYTES = "compression.dictionary.size.bytes";
    public static final int COMPRESSION_DICTIONARY_SIZE_BYTES_DEFAULT = 4096;
    private static final String COMPRESSION_DICTIONARY_SIZE_BYTES_DOC = "Largest size of a trained dictionary. 4 KiB suits values "
            + "of a few hundred bytes best (measured on heartbeats: smaller values than with 16 or 64 KiB); JSON of a few KiB "
            + "gains about 5% with 16 KiB.";
    private static final String COMPRESSION_DICTIONARY_SIZE_BYTES_DISPLAY = "Dictionary size";

    public static final String COMPRESSION_DICTIONARY_SAMPLES = "compression.dictionary.samples";
    public static final int COMPRESSION_DICTIONARY_SAMPLES_DEFAULT = 2000;
    private static final String COMPRESSION_DICTIONARY_SAMPLES_DOC = "How many values of a topic a task samples to train a "
            + "dictionary on (a tenth of them is held out to measure it). Training 2,000 small values takes about a second, "
            + "on a background thread.";
    private static final String COMPRESSION_DICTIONARY_SAMPLES_DISPLAY = "Dictionary samples";

    public static final String COMPRESSION_DICTIONARY_SAMPLE_BYTES = "compression.dictionary.sample.bytes";
    public static final int COMPRESSION_DICTIONARY_SAMPLE_BYTES_DEFAULT = 8 << 20;
    private static final String COMPRESSION_DICTIONARY_SAMPLE_BYTES_DOC = "Most bytes of samples a task holds at once, all topics "
            + "together: a topic's sampling stops at compression.dictionary.samples values or when the task holds this many "
            + "bytes of samples, whichever comes first.";
    private static final String COMPRESSION_DICTIONARY_SAMPLE_BYTES_DISPLAY = "Dictionary sample bytes";

    public static final String COMPRESSION_DICTIONARY_RETRAIN_THRESHOLD = "compression.dictionary.retrain.threshold";
    public static final double COMPRESSION_DICTIONARY_RETRAIN_THRESHOLD_DEFAULT = 0.25;
    private static final String COMPRESSION_DICTIONARY_RETRAIN_THRESHOLD_DOC = "When the stored/original ratio of a topic's "
            + "recent values grows by more than this fraction over the ratio measured at training (0.25: from 0.30 to above "
            + "0.375), the values have drifted away from the dictionary: the task samples again, trains a new one, stores it "
            + "and switches to it if it does better. Old dictionaries stay in Redis, since values name them. 0 disables retraining.";
    private static final String COMPRESSION_DICTIONARY_RETRAIN_THRESHOLD_DISPLAY = "Retrain threshold";

    public static final String COMPRESSION_DICTIONARY_RETRAIN_MIN_INTERVAL_MS = "compression.dictionary.retrain.min.interval.ms";
    public static final long COMPRESSION_DICTIONARY_RETRAIN_MIN_INTERVAL_MS_DEFAULT = 600_000L;
    private static final String COMPRESSION_DICTIONARY_RETRAIN_MIN_INTERVAL_MS_DOC = "Least time between two trainings of a "
            + "topic's dictionary by one task, so that a stream that keeps changing does not fill Redis with dictionaries.";
    private static final String COMPRESSION_DICTIONARY_RETRAIN_MIN_INTERVAL_MS_DISPLAY = "Retrain interval (ms)";

    public static final String COMPRESSION_DICTIONARY_STORE_RETRY_MS = "compression.dictionary.store.retry.ms";
    public static final long COMPRESSION_DICTIONARY_STORE_RETRY_MS_DEFAULT = 30_000L;
    private static final String COMPRESSION_DICTIONARY_STORE_RETRY_MS_DOC = "When Redis refuses or fails to store a dictionary "
            + "(no permission on the prefix, out of memory, unreachable), values keep being written without it, and the task "
            + "tries again after this long, doubling up to 10 minutes.";
    private static final String COMPRESSION_DICTIONARY_STORE_RETRY_MS_DISPLAY = "Dictionary store retry (ms)";

    public static final String COMPRESSION_DICTIONARY_HOLD_MAX_MS = "compression.dictionary.hold.max.ms";
    public static final long COMPRESSION_DICTIONARY_HOLD_MAX_MS_DEFAULT = 60_000L;
    private static final String COMPRESSION_DICTIONARY_HOLD_MAX_MS_DOC = "With redis.layout=buckets and "
            + "compression.dictionary=auto: how long a task may hold the records of a topic that has no dictionary yet, "
            + "so that no value compressed without one (too long for a listpack) turns its bucket into a hash table for "
            + "good. Held records are sampled to train the dictionary, not written and not committed; once the dictionary "
            + "is stored they are written with it, in offset order. Their partitions are paused while the dictionary is "
            + "trained and stored. The price is latency: the first records of a topic are written only once its dictionary "
            + "exists (about a second after compression.dictionary.samples values have arrived). After this long, or "
            + "when a partition holds max.in.flight.records.per.partition records or the task max.in.flight.bytes, the "
            + "held records are written without a dictionary (a WARN names the topic). 0 holds nothing: the first values "
            + "are written at once, without a dictionary.";
    private static final String COMPRESSION_DICTIONARY_HOLD_MAX_MS_DISPLAY = "Hold for the dictionary (ms)";

    // Reliability
    public static final String MAX_RETRIES = "max.retries";
    public static final int MAX_RETRIES_DEFAULT = 10;
    private static final String MAX_RETRIES_DOC = "How many times a partition's pipeline is retried after a transient failure "
            + "(connection lost, timeout, OOM, LOADING, READONLY) before the task fails. Offsets are never committed past a failure.";
    private static final String MAX_RETRIES_DISPLAY = "Max retries";

    public static final String RETRY_BACKOFF_MS = "retry.backoff.ms";
    public static final long RETRY_BACKOFF_MS_DEFAULT = 1_000L;
    private static final String RETRY_BACKOFF_MS_DOC = "Backoff before the first retry; it doubles with each further attempt, "
            + "up to retry.backoff.max.ms.";
    private static final String RETRY_BACKOFF_MS_DISPLAY = "Retry backoff (ms)";

    public static final String RETRY_BACKOFF_MAX_MS = "retry.backoff.max.ms";
    public static final long RETRY_BACKOFF_MAX_MS_DEFAULT = 30_000L;
    /** A backoff is waited out with the partition paused, not asleep, but an hour between attempts is no retry. */
    public static final long RETRY_BACKOFF_LIMIT_MS = 600_000L;
    private static final String RETRY_BACKOFF_MAX_MS_DOC = "The longest backoff between two retries. Each backoff is "
            + "jittered (between half and all of it) so that tasks do not retry in lockstep, and is waited out with only the "
            + "failed partition paused: the task's other partitions keep flowing.";
    private static final String RETRY_BACKOFF_MAX_MS_DISPLAY = "Max retry backoff (ms)";

    public static final String REDIS_WAIT_REPLICAS = "redis.wait.replicas";
    private static final String REDIS_WAIT_REPLICAS_DOC = "Commit offsets only after this many replicas confirmed the writes "
            + "(WAIT, on every master written to), so a failover cannot lose acknowledged writes. 0: the master's reply is enough.";
    private static final String REDIS_WAIT_REPLICAS_DISPLAY = "Replicas to wait for";

    public static final String REDIS_WAIT_TIMEOUT_MS = "redis.wait.timeout.ms";
    public static final long REDIS_WAIT_TIMEOUT_MS_DEFAULT = 1_000L;
    private static final String REDIS_WAIT_TIMEOUT_MS_DOC = "How long WAIT may take; fewer replicas than redis.wait.replicas within it "
            + "is a transient failure and the partition's writes are retried.";
    private static final String REDIS_WAIT_TIMEOUT_MS_DISPLAY = "Replica wait timeout (ms)";

    public static final String MAX_IN_FLIGHT_RECORDS = "max.in.flight.records.per.partition";
    public static final int MAX_IN_FLIGHT_RECORDS_DEFAULT = 5_000;
    private static final String MAX_IN_FLIGHT_RECORDS_DOC = "How many records of one partition may be sent to Redis and not yet "
            + "settled. put() sends and returns; replies are settled in later put() calls and before every offset commit. "
            + "A partition with more in flight is paused (the task thread never blocks on it) and resumed once half of it is "
            + "settled. Offsets are committed only for settled, acknowledged records.";
    private static final String MAX_IN_FLIGHT_RECORDS_DISPLAY = "Max records in flight per partition";

    public static final String MAX_IN_FLIGHT_BYTES = "max.in.flight.bytes";
    public static final long MAX_IN_FLIGHT_BYTES_DEFAULT = 32L * 1024 * 1024;
    private static final String MAX_IN_FLIGHT_BYTES_DOC = "How much heap the task's records in flight to Redis may hold, "
            + "estimated (key, encoded value, the record's original value and about 256 bytes of objects per record). Every "
            + "partition writes to every Redis node, so this also bounds what one slow node can hold back: when it is "
            + "exceeded, the partitions with records in flight are paused until half of it is settled. The task's heap for "
            + "records stays within this plus two poll batches (consumer max.poll.records).";
    private static final String MAX_IN_FLIGHT_BYTES_DISPLAY = "Max bytes in flight";

    // Errors
    public static final String BEHAVIOR_ON_REJECTED_WRITES = "behavior.on.rejected.writes";
    public static final String BEHAVIOR_ON_REJECTED_WRITES_DEFAULT = RejectedWriteBehavior.REPORT.toString();
    private static final String BEHAVIOR_ON_REJECTED_WRITES_DOC = "What a write that Redis refuses for a reason of its own record (a key "
            + "outside the ACL user's key patterns: NOPERM, a value over proto-max-bulk-len) does: 'report' sends the record to "
            + "the dead-letter topic with Redis's reply as the reason; 'fail' stops the task. A refusal every record would get "
            + "(the ACL user may not run SET, DEL or WAIT; an expiry Redis cannot represent) is a setting: it always stops the "
            + "task, naming the setting, and sends nothing to the dead-letter topic. Records that cannot be mapped at all (no usable key, unsupported type, too large) always go "
            + "to the dead-letter topic; with no dead-letter topic configured (errors.tolerance=all and "
            + "errors.deadletterqueue.topic.name) the task fails instead, naming the record.";
    private static final String BEHAVIOR_ON_REJECTED_WRITES_DISPLAY = "Behavior on rejected writes";

    /** {@link ConfigDef.NonEmptyString} for a {@link Type#PASSWORD} key, whose value arrives as a {@link Password}. */
    private static final ConfigDef.Validator NON_EMPTY_PASSWORD = new ConfigDef.Validator() {
        @Override
        public void ensureValid(String name, Object value) {
            String text = value instanceof Password password ? password.value() : (String) value;
            if (text != null && text.isEmpty()) {
                throw new ConfigException(name + " must not be empty");
            }
        }

        @Override
        public String toString() {
            return "non-empty string";
        }
    };

    public static final ConfigDef CONFIG_DEF = configDef();

    public RedisSinkConfig(Map<?, ?> props) {
        super(CONFIG_DEF, props);
    }

    public static ConfigDef configDef() {
        ConfigDef def = new ConfigDef();
        addConnection(def);
        addTls(def);
        addKeysAndValues(def);
        addLayout(def);
        addCommands(def);
        addCompression(def);
        addReliability(def);
        addErrors(def);
        return def;
    }

    private static void addConnection(ConfigDef def) {
        int order = 0;
        def.define(REDIS_MODE, Type.STRING, REDIS_MODE_DEFAULT, EnumValidator.of(RedisMode.class), Importance.HIGH,
                        REDIS_MODE_DOC, CONNECTION_GROUP, ++order, Width.SHORT, REDIS_MODE_DISPLAY)
                .define(REDIS_URI, Type.PASSWORD, REDIS_URI_DEFAULT, NON_EMPTY_PASSWORD, Importance.HIGH,
                        REDIS_URI_DOC, CONNECTION_GROUP, ++order, Width.LONG, REDIS_URI_DISPLAY)
                .define(REDIS_USERNAME, Type.STRING, null, Importance.MEDIUM,
                        REDIS_USERNAME_DOC, CONNECTION_GROUP, ++order, Width.MEDIUM, REDIS_USERNAME_DISPLAY)
                .define(REDIS_PASSWORD, Type.PASSWORD, null, Importance.MEDIUM,
                        REDIS_PASSWORD_DOC, CONNECTION_GROUP, ++order, Width.MEDIUM, REDIS_PASSWORD_DISPLAY)
                .define(REDIS_CONNECT_TIMEOUT_MS, Type.LONG, REDIS_CONNECT_TIMEOUT_MS_DEFAULT, Range.atLeast(1), Importance.LOW,
                        REDIS_CONNECT_TIMEOUT_MS_DOC, CONNECTION_GROUP, ++order, Width.SHORT, REDIS_CONNECT_TIMEOUT_MS_DISPLAY)
                .define(REDIS_COMMAND_TIMEOUT_MS, Type.LONG, REDIS_COMMAND_TIMEOUT_MS_DEFAULT, Range.atLeast(1), Importance.LOW,
                        REDIS_COMMAND_TIMEOUT_MS_DOC, CONNECTION_GROUP, ++order, Width.SHORT, REDIS_COMMAND_TIMEOUT_MS_DISPLAY);
    }

    private static void addTls(ConfigDef def) {
        int order = 0;
        def.define(SSL_TRUSTSTORE_LOCATION, Type.STRING, "", Importance.MEDIUM,
                        SSL_TRUSTSTORE_LOCATION_DOC, TLS_GROUP, ++order, Width.LONG, SSL_TRUSTSTORE_LOCATION_DISPLAY)
                .define(SSL_TRUSTSTORE_TYPE, Type.STRING, StoreType.PEM.toString(), EnumValidator.of(StoreType.class), Importance.LOW,
                        SSL_TRUSTSTORE_TYPE_DOC, TLS_GROUP, ++order, Width.SHORT, SSL_TRUSTSTORE_TYPE_DISPLAY)
                .define(SSL_TRUSTSTORE_PASSWORD, Type.PASSWORD, null, Importance.LOW,
                        SSL_TRUSTSTORE_PASSWORD_DOC, TLS_GROUP, ++order, Width.MEDIUM, SSL_TRUSTSTORE_PASSWORD_DISPLAY)
                .define(SSL_KEYSTORE_LOCATION, Type.STRING, "", Importance.MEDIUM,
                        SSL_KEYSTORE_LOCATION_DOC, TLS_GROUP, ++order, Width.LONG, SSL_KEYSTORE_LOCATION_DISPLAY)
                .define(SSL_KEYSTORE_TYPE, Type.STRING, StoreType.PKCS12.toString(), EnumValidator.of(StoreType.class), Importance.LOW,
                        SSL_KEYSTORE_TYPE_DOC, TLS_GROUP, ++order, Width.SHORT, SSL_KEYSTORE_TYPE_DISPLAY)
                .define(SSL_KEYSTORE_PASSWORD, Type.PASSWORD, null, Importance.LOW,
                        SSL_KEYSTORE_PASSWORD_DOC, TLS_GROUP, ++order, Width.MEDIUM, SSL_KEYSTORE_PASSWORD_DISPLAY)
                .define(SSL_ENDPOINT_IDENTIFICATION_ENABLED, Type.BOOLEAN, true, Importance.LOW,
                        SSL_ENDPOINT_IDENTIFICATION_ENABLED_DOC, TLS_GROUP, ++order, Width.SHORT, SSL_ENDPOINT_IDENTIFICATION_ENABLED_DISPLAY);
    }

    private static void addKeysAndValues(ConfigDef def) {
        int order = 0;
        def.define(KEY_TEMPLATE, Type.STRING, KEY_TEMPLATE_DEFAULT, KeyTemplate.VALIDATOR, Importance.HIGH,
                        KEY_TEMPLATE_DOC, KEYS_VALUES_GROUP, ++order, Width.LONG, KEY_TEMPLATE_DISPLAY)
                .define(TTL_MS, Type.LONG, TTL_MS_DEFAULT, Range.between(0, TTL_MS_MAX), Importance.MEDIUM,
                        TTL_MS_DOC, KEYS_VALUES_GROUP, ++order, Width.SHORT, TTL_MS_DISPLAY)
                .define(BEHAVIOR_ON_NULL_VALUES, Type.STRING, BEHAVIOR_ON_NULL_VALUES_DEFAULT,
                        EnumValidator.of(NullValueBehavior.class), Importance.MEDIUM,
                        BEHAVIOR_ON_NULL_VALUES_DOC, KEYS_VALUES_GROUP, ++order, Width.SHORT, BEHAVIOR_ON_NULL_VALUES_DISPLAY)
                .define(MAX_VALUE_BYTES, Type.INT, MAX_VALUE_BYTES_DEFAULT, Range.atLeast(1), Importance.LOW,
                        MAX_VALUE_BYTES_DOC, KEYS_VALUES_GROUP, ++order, Width.SHORT, MAX_VALUE_BYTES_DISPLAY);
    }

    private static void addLayout(ConfigDef def) {
        int order = 0;
        def.define(REDIS_LAYOUT, Type.STRING, REDIS_LAYOUT_DEFAULT, EnumValidator.of(RedisLayout.class), Importance.HIGH,
                        REDIS_LAYOUT_DOC, LAYOUT_GROUP, ++order, Width.SHORT, REDIS_LAYOUT_DISPLAY)
                .define(REDIS_BUCKET_PREFIX, Type.STRING, "", Importance.HIGH,
                        REDIS_BUCKET_PREFIX_DOC, LAYOUT_GROUP, ++order, Width.MEDIUM, REDIS_BUCKET_PREFIX_DISPLAY)
                .define(REDIS_BUCKET_COUNT, Type.INT, REDIS_BUCKET_COUNT_DEFAULT, Range.atLeast(0), Importance.MEDIUM,
                        REDIS_BUCKET_COUNT_DOC, LAYOUT_GROUP, ++order, Width.SHORT, REDIS_BUCKET_COUNT_DISPLAY)
                .define(REDIS_BUCKET_EXPECTED_KEYS, Type.LONG, REDIS_BUCKET_EXPECTED_KEYS_DEFAULT,
                        Range.between(0, REDIS_BUCKET_EXPECTED_KEYS_MAX),
                        Importance.MEDIUM, REDIS_BUCKET_EXPECTED_KEYS_DOC, LAYOUT_GROUP, ++order, Width.SHORT,
                        REDIS_BUCKET_EXPECTED_KEYS_DISPLAY);
    }

    private static void addCommands(ConfigDef def) {
        int order = 0;
        def.define(REDIS_COMMAND, Type.STRING, REDIS_COMMAND_DEFAULT, EnumValidator.of(WriteCommand.class), Importance.HIGH,
                        REDIS_COMMAND_DOC, COMMANDS_GROUP, ++order, Width.SHORT, REDIS_COMMAND_DISPLAY)
                .define(REDIS_DELIVERY_GUARANTEE, Type.STRING, REDIS_DELIVERY_GUARANTEE_DEFAULT,
                        EnumValidator.of(DeliveryGuarantee.class), Importance.MEDIUM, REDIS_DELIVERY_GUARANTEE_DOC,
                        COMMANDS_GROUP, ++order, Width.SHORT, REDIS_DELIVERY_GUARANTEE_DISPLAY)
                .define(REDIS_EXACTLY_ONCE_KEY_PREFIX, Type.STRING, REDIS_EXACTLY_ONCE_KEY_PREFIX_DEFAULT,
                        new ConfigDef.NonEmptyString(), Importance.LOW, REDIS_EXACTLY_ONCE_KEY_PREFIX_DOC, COMMANDS_GROUP,
                        ++order, Width.MEDIUM, REDIS_EXACTLY_ONCE_KEY_PREFIX_DISPLAY)
                .define(REDIS_LIST_MAX_LENGTH, Type.LONG, 0L, Range.atLeast(0), Importance.MEDIUM,
                        REDIS_LIST_MAX_LENGTH_DOC, COMMANDS_GROUP, ++order, Width.SHORT, REDIS_LIST_MAX_LENGTH_DISPLAY)
                .define(REDIS_STREAM_MAX_LENGTH, Type.LONG, 0L, Range.atLeast(0), Importance.MEDIUM,
                        REDIS_STREAM_MAX_LENGTH_DOC, COMMANDS_GROUP, ++order, Width.SHORT, REDIS_STREAM_MAX_LENGTH_DISPLAY)
                .define(REDIS_STREAM_MAX_AGE_MS, Type.LONG, 0L, Range.atLeast(0), Importance.LOW,
                        REDIS_STREAM_MAX_AGE_MS_DOC, COMMANDS_GROUP, ++order, Width.SHORT, REDIS_STREAM_MAX_AGE_MS_DISPLAY)
                .define(REDIS_STREAM_VALUE_FIELD, Type.STRING, REDIS_STREAM_VALUE_FIELD_DEFAULT, new ConfigDef.NonEmptyString(),
                        Importance.LOW, REDIS_STREAM_VALUE_FIELD_DOC, COMMANDS_GROUP, ++order, Width.SHORT,
                        REDIS_STREAM_VALUE_FIELD_DISPLAY)
                .define(REDIS_STREAM_EXTRA_FIELDS, Type.LIST, "", StreamExtraField.VALIDATOR, Importance.LOW,
                        REDIS_STREAM_EXTRA_FIELDS_DOC, COMMANDS_GROUP, ++order, Width.LONG, REDIS_STREAM_EXTRA_FIELDS_DISPLAY)
                .define(REDIS_HASH_FIELDS, Type.LIST, "", HashFieldSelection.VALIDATOR, Importance.MEDIUM,
                        REDIS_HASH_FIELDS_DOC, COMMANDS_GROUP, ++order, Width.LONG, REDIS_HASH_FIELDS_DISPLAY)
                .define(REDIS_MEMBER_TEMPLATE, Type.STRING, "", KeyTemplate.OPTIONAL_VALIDATOR, Importance.MEDIUM,
                        REDIS_MEMBER_TEMPLATE_DOC, COMMANDS_GROUP, ++order, Width.MEDIUM, REDIS_MEMBER_TEMPLATE_DISPLAY)
                .define(REDIS_ZSET_SCORE, Type.STRING, "", KeyTemplate.OPTIONAL_VALIDATOR, Importance.MEDIUM,
                        REDIS_ZSET_SCORE_DOC, COMMANDS_GROUP, ++order, Width.MEDIUM, REDIS_ZSET_SCORE_DISPLAY);
    }

    private static void addCompression(ConfigDef def) {
        int order = 0;
        def.define(COMPRESSION_CODEC, Type.STRING, COMPRESSION_CODEC_DEFAULT, EnumValidator.of(Codec.class), Importance.HIGH,
                        COMPRESSION_CODEC_DOC, COMPRESSION_GROUP, ++order, Width.SHORT, COMPRESSION_CODEC_DISPLAY)
                .define(COMPRESSION_LEVEL, Type.INT, COMPRESSION_LEVEL_DEFAULT, Range.between(0, 22), Importance.LOW,
                        COMPRESSION_LEVEL_DOC, COMPRESSION_GROUP, ++order, Width.SHORT, COMPRESSION_LEVEL_DISPLAY)
                .define(COMPRESSION_MIN_BYTES, Type.INT, COMPRESSION_MIN_BYTES_DEFAULT, Range.atLeast(0), Importance.LOW,
                        COMPRESSION_MIN_BYTES_DOC, COMPRESSION_GROUP, ++order, Width.SHORT, COMPRESSION_MIN_BYTES_DISPLAY)
                .define(COMPRESSION_CHECKSUM_ENABLED, Type.BOOLEAN, true, Importance.LOW,
                        COMPRESSION_CHECKSUM_ENABLED_DOC, COMPRESSION_GROUP, ++order, Width.SHORT, COMPRESSION_CHECKSUM_ENABLED_DISPLAY)
                .define(COMPRESSION_DICTIONARY, Type.STRING, COMPRESSION_DICTIONARY_DEFAULT, DictionaryMode.VALIDATOR, Importance.HIGH,
                        COMPRESSION_DICTIONARY_DOC, COMPRESSION_GROUP, ++order, Width.SHORT, COMPRESSION_DICTIONARY_DISPLAY)
                .define(COMPRESSION_DICTIONARY_KEY_PREFIX, Type.STRING, COMPRESSION_DICTIONARY_KEY_PREFIX_DEFAULT,
                        new ConfigDef.NonEmptyStringWithoutControlChars(), Importance.MEDIUM, COMPRESSION_DICTIONARY_KEY_PREFIX_DOC,
                        COMPRESSION_GROUP, ++order, Width.MEDIUM, COMPRESSION_DICTIONARY_KEY_PREFIX_DISPLAY)
                .define(COMPRESSION_DICTIONARY_SIZE_BYTES, Type.INT, COMPRESSION_DICTIONARY_SIZE_BYTES_DEFAULT,
                        Range.between(1024, 1 << 20), Importance.LOW, COMPRESSION_DICTIONARY_SIZE_BYTES_DOC,
                        COMPRESSION_GROUP, ++order, Width.SHORT, COMPRESSION_DICTIONARY_SIZE_BYTES_DISPLAY)
                .define(COMPRESSION_DICTIONARY_SAMPLES, Type.INT, COMPRESSION_DICTIONARY_SAMPLES_DEFAULT,
                        Range.between(100, 100_000), Importance.LOW, COMPRESSION_DICTIONARY_SAMPLES_DOC,
                        COMPRESSION_GROUP, ++order, Width.SHORT, COMPRESSION_DICTIONARY_SAMPLES_DISPLAY)
                .define(COMPRESSION_DICTIONARY_SAMPLE_BYTES, Type.INT, COMPRESSION_DICTIONARY_SAMPLE_BYTES_DEFAULT,
                        Range.between(64 << 10, 256 << 20), Importance.LOW, COMPRESSION_DICTIONARY_SAMPLE_BYTES_DOC,
                        COMPRESSION_GROUP, ++order, Width.SHORT, COMPRESSION_DICTIONARY_SAMPLE_BYTES_DISPLAY)
                .define(COMPRESSION_DICTIONARY_RETRAIN_THRESHOLD, Type.DOUBLE, COMPRESSION_DICTIONARY_RETRAIN_THRESHOLD_DEFAULT,
                        Range.between(0.0, 10.0), Importance.LOW, COMPRESSION_DICTIONARY_RETRAIN_THRESHOLD_DOC,
                        COMPRESSION_GROUP, ++order, Width.SHORT, COMPRESSION_DICTIONARY_RETRAIN_THRESHOLD_DISPLAY)
                .define(COMPRESSION_DICTIONARY_RETRAIN_MIN_INTERVAL_MS, Type.LONG, COMPRESSION_DICTIONARY_RETRAIN_MIN_INTERVAL_MS_DEFAULT,
                        Range.atLeast(0), Importance.LOW, COMPRESSION_DICTIONARY_RETRAIN_MIN_INTERVAL_MS_DOC,
                        COMPRESSION_GROUP, ++order, Width.SHORT, COMPRESSION_DICTIONARY_RETRAIN_MIN_INTERVAL_MS_DISPLAY)
                .define(COMPRESSION_DICTIONARY_STORE_RETRY_MS, Type.LONG, COMPRESSION_DICTIONARY_STORE_RETRY_MS_DEFAULT,
                        Range.between(10, 600_000), Importance.LOW, COMPRESSION_DICTIONARY_STORE_RETRY_MS_DOC,
                        COMPRESSION_GROUP, ++order, Width.SHORT, COMPRESSION_DICTIONARY_STORE_RETRY_MS_DISPLAY)
                .define(COMPRESSION_DICTIONARY_HOLD_MAX_MS, Type.LONG, COMPRESSION_DICTIONARY_HOLD_MAX_MS_DEFAULT,
                        Range.between(0, 600_000), Importance.LOW, COMPRESSION_DICTIONARY_HOLD_MAX_MS_DOC,
                        COMPRESSION_GROUP, ++order, Width.SHORT, COMPRESSION_DICTIONARY_HOLD_MAX_MS_DISPLAY);
    }

    private static void addReliability(ConfigDef def) {
        int order = 0;
        def.define(MAX_RETRIES, Type.INT, MAX_RETRIES_DEFAULT, Range.atLeast(0), Importance.MEDIUM,
                        MAX_RETRIES_DOC, RELIABILITY_GROUP, ++order, Width.SHORT, MAX_RETRIES_DISPLAY)
                .define(RETRY_BACKOFF_MS, Type.LONG, RETRY_BACKOFF_MS_DEFAULT, Range.between(0, RETRY_BACKOFF_LIMIT_MS), Importance.MEDIUM,
                        RETRY_BACKOFF_MS_DOC, RELIABILITY_GROUP, ++order, Width.SHORT, RETRY_BACKOFF_MS_DISPLAY)
                .define(RETRY_BACKOFF_MAX_MS, Type.LONG, RETRY_BACKOFF_MAX_MS_DEFAULT, Range.between(0, RETRY_BACKOFF_LIMIT_MS), Importance.LOW,
                        RETRY_BACKOFF_MAX_MS_DOC, RELIABILITY_GROUP, ++order, Width.SHORT, RETRY_BACKOFF_MAX_MS_DISPLAY)
                .define(REDIS_WAIT_REPLICAS, Type.INT, 0, Range.atLeast(0), Importance.MEDIUM,
                        REDIS_WAIT_REPLICAS_DOC, RELIABILITY_GROUP, ++order, Width.SHORT, REDIS_WAIT_REPLICAS_DISPLAY)
                .define(REDIS_WAIT_TIMEOUT_MS, Type.LONG, REDIS_WAIT_TIMEOUT_MS_DEFAULT, Range.atLeast(1), Importance.LOW,
                        REDIS_WAIT_TIMEOUT_MS_DOC, RELIABILITY_GROUP, ++order, Width.SHORT, REDIS_WAIT_TIMEOUT_MS_DISPLAY)
                .define(MAX_IN_FLIGHT_RECORDS, Type.INT, MAX_IN_FLIGHT_RECORDS_DEFAULT, Range.atLeast(1), Importance.LOW,
                        MAX_IN_FLIGHT_RECORDS_DOC, RELIABILITY_GROUP, ++order, Width.SHORT, MAX_IN_FLIGHT_RECORDS_DISPLAY)
                .define(MAX_IN_FLIGHT_BYTES, Type.LONG, MAX_IN_FLIGHT_BYTES_DEFAULT, Range.atLeast(1024), Importance.LOW,
                        MAX_IN_FLIGHT_BYTES_DOC, RELIABILITY_GROUP, ++order, Width.SHORT, MAX_IN_FLIGHT_BYTES_DISPLAY);
    }

    private static void addErrors(ConfigDef def) {
        int order = 0;
        def.define(BEHAVIOR_ON_REJECTED_WRITES, Type.STRING, BEHAVIOR_ON_REJECTED_WRITES_DEFAULT,
                EnumValidator.of(RejectedWriteBehavior.class), Importance.MEDIUM,
                BEHAVIOR_ON_REJECTED_WRITES_DOC, ERRORS_GROUP, ++order, Width.SHORT, BEHAVIOR_ON_REJECTED_WRITES_DISPLAY);
    }

    public RedisMode redisMode() {
        return EnumValidator.parse(RedisMode.class, REDIS_MODE, getString(REDIS_MODE));
    }

    /** The URI as configured; it may hold a password, so it goes into Lettuce only and never into a message. */
    public String redisUri() {
        return getPassword(REDIS_URI).value();
    }

    public String redisUsername() {
        return getString(REDIS_USERNAME);
    }

    /** The password, or null; a {@link Password} prints as [hidden], so keep it wrapped until the last moment. */
    public Password redisPassword() {
        return getPassword(REDIS_PASSWORD);
    }

    public Duration connectTimeout() {
        return Duration.ofMillis(getLong(REDIS_CONNECT_TIMEOUT_MS));
    }

    public Duration commandTimeout() {
        return Duration.ofMillis(getLong(REDIS_COMMAND_TIMEOUT_MS));
    }

    /** The trust store file, or null for the JVM's default trust. */
    public String truststoreLocation() {
        String location = getString(SSL_TRUSTSTORE_LOCATION);
        return location == null || location.isBlank() ? null : location.trim();
    }

    public StoreType truststoreType() {
        return EnumValidator.parse(StoreType.class, SSL_TRUSTSTORE_TYPE, getString(SSL_TRUSTSTORE_TYPE));
    }

    public Password truststorePassword() {
        return getPassword(SSL_TRUSTSTORE_PASSWORD);
    }

    /** The client key store file, or null when no client certificate is presented. */
    public String keystoreLocation() {
        String location = getString(SSL_KEYSTORE_LOCATION);
        return location == null || location.isBlank() ? null : location.trim();
    }

    public StoreType keystoreType() {
        return EnumValidator.parse(StoreType.class, SSL_KEYSTORE_TYPE, getString(SSL_KEYSTORE_TYPE));
    }

    public Password keystorePassword() {
        return getPassword(SSL_KEYSTORE_PASSWORD);
    }

    public boolean hostnameVerification() {
        return getBoolean(SSL_ENDPOINT_IDENTIFICATION_ENABLED);
    }

    public int waitReplicas() {
        return getInt(REDIS_WAIT_REPLICAS);
    }

    public Duration waitTimeout() {
        return Duration.ofMillis(getLong(REDIS_WAIT_TIMEOUT_MS));
    }

    public String keyTemplate() {
        return getString(KEY_TEMPLATE);
    }

    public long ttlMillis() {
        return getLong(TTL_MS);
    }

    public RedisLayout layout() {
        return EnumValidator.parse(RedisLayout.class, REDIS_LAYOUT, getString(REDIS_LAYOUT));
    }

    public String bucketPrefix() {
        return getString(REDIS_BUCKET_PREFIX);
    }

    public int bucketCountSetting() {
        return getInt(REDIS_BUCKET_COUNT);
    }

    public long bucketExpectedKeys() {
        return getLong(REDIS_BUCKET_EXPECTED_KEYS);
    }

    /**
     * The bucket layout redis.layout=buckets asks for: redis.bucket.count, or the count derived from
     * redis.bucket.expected.keys.
     *
     * @throws ConfigException when the layout is not buckets, or neither count nor expected keys is set (the
     *                         cross-field check says so first, attached to the key)
     */
    public BucketLayout bucketLayout() {
        if (layout() != RedisLayout.BUCKETS) {
            throw new ConfigException(REDIS_LAYOUT, getString(REDIS_LAYOUT), "has no buckets");
        }
        int count = bucketCountSetting();
        if (count == 0) {
            if (bucketExpectedKeys() == 0) {
                throw new ConfigException(REDIS_BUCKET_COUNT, 0, "set " + REDIS_BUCKET_COUNT + " or " + REDIS_BUCKET_EXPECTED_KEYS);
            }
            count = BucketLayout.bucketsFor(bucketExpectedKeys());
        }
        return BucketLayout.of(bucketPrefix(), count);
    }

    public WriteCommand command() {
        return EnumValidator.parse(WriteCommand.class, REDIS_COMMAND, getString(REDIS_COMMAND));
    }

    public DeliveryGuarantee deliveryGuarantee() {
        return EnumValidator.parse(DeliveryGuarantee.class, REDIS_DELIVERY_GUARANTEE, getString(REDIS_DELIVERY_GUARANTEE));
    }

    /** True when appends go with a high-water mark: an appending command, exactly once. */
    public boolean exactlyOnceAppends() {
        return command().appends() && deliveryGuarantee() == DeliveryGuarantee.EXACTLY_ONCE;
    }

    public String exactlyOnceKeyPrefix() {
        return getString(REDIS_EXACTLY_ONCE_KEY_PREFIX);
    }

    public long listMaxLength() {
        return getLong(REDIS_LIST_MAX_LENGTH);
    }

    public long streamMaxLength() {
        return getLong(REDIS_STREAM_MAX_LENGTH);
    }

    public long streamMaxAgeMillis() {
        return getLong(REDIS_STREAM_MAX_AGE_MS);
    }

    public String streamValueField() {
        return getString(REDIS_STREAM_VALUE_FIELD);
    }

    public List<StreamExtraField> streamExtraFields() {
        return getList(REDIS_STREAM_EXTRA_FIELDS).stream().map(StreamExtraField::parse).toList();
    }

    public HashFieldSelection hashFields() {
        return HashFieldSelection.parse(getList(REDIS_HASH_FIELDS));
    }

    public String memberTemplate() {
        return getString(REDIS_MEMBER_TEMPLATE);
    }

    public String zsetScore() {
        return getString(REDIS_ZSET_SCORE);
    }

    public NullValueBehavior nullValueBehavior() {
        return EnumValidator.parse(NullValueBehavior.class, BEHAVIOR_ON_NULL_VALUES, getString(BEHAVIOR_ON_NULL_VALUES));
    }

    public int maxValueBytes() {
        return getInt(MAX_VALUE_BYTES);
    }

    public Codec codec() {
        return EnumValidator.parse(Codec.class, COMPRESSION_CODEC, getString(COMPRESSION_CODEC));
    }

    public int compressionLevel() {
        return getInt(COMPRESSION_LEVEL);
    }

    public int compressionMinBytes() {
        return getInt(COMPRESSION_MIN_BYTES);
    }

    public boolean checksumEnabled() {
        return getBoolean(COMPRESSION_CHECKSUM_ENABLED);
    }

    /** What compression.dictionary asks for: none, auto, or one dictionary id. */
    public DictionaryMode dictionaryMode() {
        return DictionaryMode.parse(getString(COMPRESSION_DICTIONARY));
    }

    public String dictionaryKeyPrefix() {
        return getString(COMPRESSION_DICTIONARY_KEY_PREFIX);
    }

    public int dictionarySizeBytes() {
        return getInt(COMPRESSION_DICTIONARY_SIZE_BYTES);
    }

    public int dictionarySamples() {
        return getInt(COMPRESSION_DICTIONARY_SAMPLES);
    }

    public int dictionarySampleBytes() {
        return getInt(COMPRESSION_DICTIONARY_SAMPLE_BYTES);
    }

    public double dictionaryRetrainThreshold() {
        return getDouble(COMPRESSION_DICTIONARY_RETRAIN_THRESHOLD);
    }

    public Duration dictionaryRetrainMinInterval() {
        return Duration.ofMillis(getLong(COMPRESSION_DICTIONARY_RETRAIN_MIN_INTERVAL_MS));
    }

    public Duration dictionaryStoreRetry() {
        return Duration.ofMillis(getLong(COMPRESSION_DICTIONARY_STORE_RETRY_MS));
    }

    /** How long a bucketed topic's records may wait for its dictionary; zero: they do not wait. */
    public Duration dictionaryHoldMax() {
        return Duration.ofMillis(getLong(COMPRESSION_DICTIONARY_HOLD_MAX_MS));
    }

    public int maxInFlightRecordsPerPartition() {
        return getInt(MAX_IN_FLIGHT_RECORDS);
    }

    public long maxInFlightBytes() {
        return getLong(MAX_IN_FLIGHT_BYTES);
    }

    public int maxRetries() {
        return getInt(MAX_RETRIES);
    }

    public long retryBackoffMillis() {
        return getLong(RETRY_BACKOFF_MS);
    }

    public long retryBackoffMaxMillis() {
        return getLong(RETRY_BACKOFF_MAX_MS);
    }

    public RejectedWriteBehavior rejectedWriteBehavior() {
        return EnumValidator.parse(RejectedWriteBehavior.class, BEHAVIOR_ON_REJECTED_WRITES, getString(BEHAVIOR_ON_REJECTED_WRITES));
    }
}
