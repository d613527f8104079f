package io.redcompress.connect.cli;

import java.io.PrintWriter;
import java.util.List;
import java.util.Map;

import io.redcompress.connect.codec.ValueDecoder;
import io.redcompress.connect.config.RedisLayout;
import io.redcompress.connect.config.RedisSinkConfig;
import io.redcompress.connect.redis.RedisDictionaryResolver;
import io.redcompress.connect.dictionary.DictionaryStoreException;
import io.redcompress.connect.redis.RedisDictionaryStore;
import io.redcompress.connect.redis.RedisKeyspace;
import io.redcompress.connect.tools.BucketStats;
import io.redcompress.connect.tools.KeyspaceStats;
import io.redcompress.connect.tools.StoredDictionaries;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

@Command(name = "stats", mixinStandardHelpOptions = true,
        description = {"Samples the keys matching PATTERN (SCAN MATCH) and shows the codec mix, original vs stored bytes, "
                + "MEMORY USAGE per key, the dictionaries values name, the values that do not decode (by error kind) "
                + "and the foreign ones, and the memory the stored dictionaries take. Keys under "
                + "compression.dictionary.key.prefix are left out.",
                "With redis.layout=buckets in the settings: every bucket under redis.bucket.prefix is counted (buckets, "
                        + "entries, entries per bucket, the share Redis keeps listpack-encoded, MEMORY USAGE per entry) and "
                        + "the values of up to --sample entries are reported.",
                "Exit 1 when a sampled value of the connector's format does not decode."})
final class StatsCommand extends RedisCommand {

    @Parameters(index = "0", arity = "0..1", paramLabel = "PATTERN",
            description = "A SCAN MATCH glob, e.g. 'device:*'. With redis.layout=buckets: which logical keys to sample "
                    + "(HSCAN MATCH on the buckets' fields, default all).")
    String pattern;

    @Mixin
    SampleOption sampleOption;

    @Override
    public Integer call() throws DictionaryStoreException {
        int sample = sampleOption.keys();
        PrintWriter out = out();
        RedisSinkConfig config = connection.config();
        boolean buckets = config.layout() == RedisLayout.BUCKETS;
        if (pattern == null && !buckets) {
            throw new CliException(ExitCode.USAGE, "stats needs a PATTERN (a SCAN MATCH glob such as 'device:*')");
        }
        try (RedisKeyspace keyspace = RedisKeyspace.open(config);
             RedisDictionaryStore store = RedisDictionaryStore.open(config, null)) {
            KeyspaceStats stats;
            if (buckets) {
                BucketStats bucketStats = BucketStats.sample(keyspace, config.bucketPrefix(), pattern == null ? "*" : pattern,
                        sample, ValueDecoder.builder().dictionaries(new RedisDictionaryResolver(store)).build());
                stats = bucketStats.values();
                printBuckets(bucketStats, config.bucketPrefix(), sample, out);
            } else {
                stats = sampleOption.sample(keyspace, store, config, pattern);
                printKeys(stats, sample, out);
            }
            printValues(stats, buckets ? null : "memory usage per key:  " + Numbers.average(stats.averageMemoryUsage())
                    + " bytes (avg over " + Numbers.count(stats.memoryUsageKeys()) + " keys)", out);
            List<StoredDictionaries.Entry> dictionaries = StoredDictionaries.list(store);
            out.println("dictionaries stored:   " + dictionaries.size() + " under " + config.dictionaryKeyPrefix() + ":*, "
                    + Numbers.count(StoredDictionaries.totalSize(dictionaries)) + " bytes, memory usage "
                    + Numbers.count(StoredDictionaries.totalMemoryUsage(dictionaries)) + " bytes");
            return stats.undecodable() > 0 ? ExitCode.FINDING : ExitCode.OK;
        }
    }

    private void printKeys(KeyspaceStats stats, int sample, PrintWriter out) {
        out.println("pattern:               " + pattern + " (sampled " + Numbers.count(stats.values() + stats.notStrings())
                + " keys, at most " + Numbers.count(sample) + ")");
        out.println("string values:         " + Numbers.count(stats.values())
                + (stats.notStrings() > 0 ? " (and " + Numbers.count(stats.notStrings()) + " keys of other types)" : ""));
    }

    private void printBuckets(BucketStats stats, String prefix, int sample, PrintWriter out) {
        out.println("buckets:               " + Numbers.count(stats.buckets()) + " under " + prefix + "<n>");
        out.println("entries:               " + Numbers.count(stats.entries()) + " (avg " + Numbers.average(stats.meanEntries())
                + " per bucket, max " + Numbers.count(stats.maxEntries()) + ")");
        out.println("listpack buckets:      " + Numbers.count(stats.listpacks()) + " ("
                + Numbers.percent(Double.isNaN(stats.listpackShare()) ? 0 : stats.listpackShare()) + ")");
        out.println("memory usage per entry: " + Numbers.average(stats.memoryUsagePerEntry()) + " bytes (MEMORY USAGE of the "
                + "buckets over their entries)");
        out.println("sampled entries:       " + Numbers.count(stats.values().values()) + " (at most " + Numbers.count(sample)
                + (pattern == null ? "" : ", fields matching " + pattern) + ")");
    }

    /** The value report, alike for keys and buckets; {@code memoryLine} after the ratio, when there is one. */
    private static void printValues(KeyspaceStats stats, String memoryLine, PrintWriter out) {
        out.println("codecs:");
        stats.valuesPerCodec().entrySet().stream()
                .sorted(Map.Entry.<String, Long>comparingByValue().reversed().thenComparing(Map.Entry.comparingByKey()))
                .forEach(codec -> out.printf("  %-26s %10s  %6s%n", codec.getKey(), Numbers.count(codec.getValue()),
                        Numbers.percent(stats.share(codec.getValue()))));
        long decoded = stats.decoded();
        out.println("original bytes:        " + Numbers.count(stats.originalBytes()) + " (avg "
                + Numbers.average(decoded == 0 ? Double.NaN : (double) stats.originalBytes() / decoded) + " per decoded value)");
        out.println("stored bytes:          " + Numbers.count(stats.storedBytes()) + " (avg "
                + Numbers.average(decoded == 0 ? Double.NaN : (double) stats.storedBytes() / decoded) + " per decoded value)");
        out.println("ratio:                 " + Numbers.ratio(stats.ratio()) + " stored/original, "
                + Numbers.count(stats.bytesSaved()) + " bytes saved");
        if (memoryLine != null) {
            out.println(memoryLine);
        }
        out.println("dictionaries named:" + (stats.valuesPerDictionary().isEmpty() ? "    none" : ""));
        stats.valuesPerDictionary().forEach((id, count) -> out.printf("  %-26d %10s values%n", id, Numbers.count(count)));
        out.println("foreign values:        " + Numbers.count(stats.foreign()));
        out.println("undecodable values:    " + Numbers.count(stats.undecodable()));
        stats.undecodableByKind().forEach((kind, count) -> out.printf("  %-26s %10s%n", kind, Numbers.count(count)));
    }
}
