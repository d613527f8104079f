package io.redcompress.connect.cli;

import io.redcompress.connect.codec.ValueDecoder;
import io.redcompress.connect.config.RedisSinkConfig;
import io.redcompress.connect.redis.RedisDictionaryResolver;
import io.redcompress.connect.redis.RedisDictionaryStore;
import io.redcompress.connect.redis.RedisKeyspace;
import io.redcompress.connect.tools.KeyspaceStats;
import picocli.CommandLine.Option;

/** {@code --sample N}: how many keys a command samples by SCAN. */
final class SampleOption {

    static final int DEFAULT_SAMPLE = 10_000;

    @Option(names = "--sample", paramLabel = "N", defaultValue = "" + DEFAULT_SAMPLE,
            description = "How many keys to sample at most (default ${DEFAULT-VALUE}).")
    int sample;

    /** The number asked for; a usage error below 1. */
    int keys() {
        if (sample < 1) {
            throw new CliException(ExitCode.USAGE, "--sample must be at least 1, was " + sample);
        }
        return sample;
    }

    /**
     * Samples the keys matching {@code pattern}, decoding with the dictionaries in {@code store}, and leaving out the
     * keys under compression.dictionary.key.prefix (the dictionaries and their bookkeeping).
     */
    KeyspaceStats sample(RedisKeyspace keyspace, RedisDictionaryStore store, RedisSinkConfig config, String pattern) {
        ValueDecoder decoder = ValueDecoder.builder().dictionaries(new RedisDictionaryResolver(store)).build();
        return KeyspaceStats.sample(keyspace, pattern, keys(), config.dictionaryKeyPrefix() + ":", decoder);
    }
}
