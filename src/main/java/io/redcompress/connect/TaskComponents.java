package io.redcompress.connect;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.util.function.LongSupplier;
import java.util.function.Supplier;

import org.apache.kafka.connect.errors.ConnectException;

import io.redcompress.connect.codec.Codec;
import io.redcompress.connect.codec.ValueEncoder;
import io.redcompress.connect.config.DictionaryMode;
import io.redcompress.connect.config.RedisLayout;
import io.redcompress.connect.config.RedisSinkConfig;
import io.redcompress.connect.dictionary.DictionaryManager;
import io.redcompress.connect.dictionary.DictionaryStore;
import io.redcompress.connect.dictionary.PinnedDictionary;
import io.redcompress.connect.mapping.AppendLayout;
import io.redcompress.connect.mapping.KeyTemplate;
import io.redcompress.connect.mapping.RecordMapper;
import io.redcompress.connect.mapping.RedisWrite;
import io.redcompress.connect.mapping.StructureLayout;
import io.redcompress.connect.mapping.ValueDictionaries;
import io.redcompress.connect.mapping.WriteLayout;
import io.redcompress.connect.pipeline.DictionaryHold;
import io.redcompress.connect.pipeline.PartitionPauses;

/** Builds the task's collaborators from its config. */
final class TaskComponents {

    private static final Logger log = LoggerFactory.getLogger(TaskComponents.class);

    private TaskComponents() {
    }

    /**
     * zstd's level when compression.level is 0. Level 1, not zstd's own default 3: on values of 0.2 to 1.5 KB, with or
     * without a dictionary, it compressed as small as level 3 (within 2%) for 9 to 25% less CPU (docs/design/zstd-dictionaries.md).
     */
    static final int ZSTD_DEFAULT_LEVEL = 1;

    static ValueEncoder valueEncoder(RedisSinkConfig config) {
        ValueEncoder.Builder builder = ValueEncoder.builder()
                .codec(config.codec())
                .minSizeToCompress(config.compressionMinBytes())
                .checksum(config.checksumEnabled());
        if (config.compressionLevel() != 0) {
            builder.level(config.compressionLevel());
        } else if (config.codec() == Codec.ZSTD) {
            builder.level(ZSTD_DEFAULT_LEVEL);
        }
        return builder.build();
    }

    /** Also logs, at WARN, each join of the key template that can make two records share a key (see key.template). */
    static RecordMapper recordMapper(RedisSinkConfig config) {
        return recordMapper(config, ValueDictionaries.NONE, writeLayout(config));
    }

    static RecordMapper recordMapper(RedisSinkConfig config, ValueDictionaries dictionaries, WriteLayout layout) {
        KeyTemplate template = KeyTemplate.parse(config.keyTemplate());
        template.ambiguousJoins().forEach(log::warn);
        return new RecordMapper(template, config.nullValueBehavior(), config.maxValueBytes(), config.ttlMillis(),
                valueEncoder(config), dictionaries, layout);
    }

    /** Keys of their own, or the buckets redis.layout=buckets asks for. */
    static WriteLayout writeLayout(RedisSinkConfig config) {
        return writeLayout(config, "connector");
    }

    /**
     * Keys of their own, the buckets redis.layout=buckets asks for, or the lists and streams of redis.command; with
     * exactly once, the high-water marks are the connector's, by its name.
     */
    static WriteLayout writeLayout(RedisSinkConfig config, String connector) {
        String marks = config.exactlyOnceAppends() ? AppendLayout.markPrefix(config.exactlyOnceKeyPrefix(), connector) : null;
        return switch (config.command()) {
            case RPUSH -> AppendLayout.list(RedisWrite.AppendCommand.RPUSH, config.listMaxLength(), marks);
            case LPUSH -> AppendLayout.list(RedisWrite.AppendCommand.LPUSH, config.listMaxLength(), marks);
            case XADD -> AppendLayout.stream(config.streamMaxLength(), config.streamMaxAgeMillis(),
                    config.streamValueField(), config.streamExtraFields(), marks);
            case HSET -> StructureLayout.hash(config.hashFields(), config.ttlMillis());
            case SADD -> StructureLayout.set(config.memberTemplate(), config.ttlMillis());
            case ZADD -> StructureLayout.sortedSet(config.memberTemplate(), config.zsetScore(), config.ttlMillis());
            case SET -> config.layout() == RedisLayout.BUCKETS ? WriteLayout.buckets(config.bucketLayout()) : WriteLayout.keys();
        };
    }

    /**
     * What holds a topic's records until its dictionary exists: with redis.layout=buckets and
     * compression.dictionary=auto (so zstd), where values written without a dictionary are too long for a listpack and
     * turn their buckets into hash tables for good; bounded by compression.dictionary.hold.max.ms and the max.in.flight
     * settings. Anywhere else, and with compression.dictionary.hold.max.ms=0, nothing is held.
     */
    static DictionaryHold dictionaryHold(RedisSinkConfig config, WriteLayout layout, ValueDictionaries dictionaries,
                                         RecordMapper mapper, PartitionPauses pauses, LongSupplier nanoClock) {
        if (!(layout instanceof WriteLayout.Buckets) || config.dictionaryMode().kind() != DictionaryMode.Kind.AUTO
                || config.codec() != Codec.ZSTD || config.dictionaryHoldMax().isZero()) {
            return DictionaryHold.none();
        }
        return new DictionaryHold(dictionaries, mapper::serializedValue, config.dictionaryHoldMax(),
                config.maxInFlightRecordsPerPartition(), config.maxInFlightBytes(), pauses, nanoClock);
    }

    /**
     * The dictionaries compression.dictionary asks for: none, one pinned dictionary (loaded now, on the calling thread:
     * a task whose dictionary is missing does not start), or a manager training them per topic in the background.
     *
     * @param stores opens the store of dictionaries; the manager calls it on its own thread, when first needed
     * @throws ConnectException if a pinned dictionary cannot be loaded; the message names the key
     */
    static ValueDictionaries dictionaries(RedisSinkConfig config, Supplier<DictionaryStore> stores, String threadName) {
        DictionaryMode mode = config.dictionaryMode();
        switch (mode.kind()) {
            case PINNED:
                try (DictionaryStore store = stores.get()) {
                    PinnedDictionary pinned = PinnedDictionary.load(store, mode.pinnedId(), RedisSinkConfig.COMPRESSION_DICTIONARY,
                            valueEncoder(config).level());
                    log.info("Compressing every value with dictionary {} ({} bytes, {})", mode.pinnedId(),
                            pinned.dictionary().size(), store.key(mode.pinnedId()));
                    return pinned;
                } catch (IllegalStateException e) {
                    throw new ConnectException(e.getMessage(), e);
                }
            case AUTO:
                if (!config.checksumEnabled()) {
                    log.warn("{}=auto with {}=false: zstd does not promise to notice a value decoded with the wrong "
                            + "dictionary (the CRC32C does); keep the checksum on with dictionaries",
                            RedisSinkConfig.COMPRESSION_DICTIONARY, RedisSinkConfig.COMPRESSION_CHECKSUM_ENABLED);
                }
                return new DictionaryManager(new DictionaryManager.Settings(config.dictionarySizeBytes(),
                        config.dictionarySamples(), config.dictionarySampleBytes(), config.dictionaryRetrainThreshold(),
                        config.dictionaryRetrainMinInterval(), config.dictionaryStoreRetry()),
                        valueEncoder(config), stores, System::nanoTime, threadName);
            default:
                return ValueDictionaries.NONE;
        }
    }
}
