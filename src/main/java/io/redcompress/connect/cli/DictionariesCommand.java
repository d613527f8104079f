package io.redcompress.connect.cli;

import java.io.PrintWriter;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

import io.redcompress.connect.config.RedisSinkConfig;
import io.redcompress.connect.dictionary.DictionaryStoreException;
import io.redcompress.connect.redis.RedisDictionaryStore;
import io.redcompress.connect.redis.RedisKeyspace;
import io.redcompress.connect.tools.KeyspaceStats;
import io.redcompress.connect.tools.StoredDictionaries;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

@Command(name = "dictionaries", mixinStandardHelpOptions = true,
        description = "Lists the dictionaries stored under compression.dictionary.key.prefix (id, key, size, MEMORY USAGE, "
                + "whether the id is the one derived from the content) and how many sampled values name each; ids that "
                + "sampled values name but that are not stored are listed too.")
final class DictionariesCommand extends RedisCommand {

    @Mixin
    SampleOption sampleOption;

    @Option(names = "--match", paramLabel = "PATTERN", defaultValue = "*",
            description = "Which keys to sample (SCAN MATCH, default ${DEFAULT-VALUE}).")
    String pattern;

    @Override
    public Integer call() throws DictionaryStoreException {
        sampleOption.keys();
        PrintWriter out = out();
        RedisSinkConfig config = connection.config();
        try (RedisKeyspace keyspace = RedisKeyspace.open(config);
             RedisDictionaryStore store = RedisDictionaryStore.open(config, null)) {
            List<StoredDictionaries.Entry> dictionaries = StoredDictionaries.list(store);
            KeyspaceStats stats = sampleOption.sample(keyspace, store, config, pattern);
            Map<Long, Long> uses = new HashMap<>(stats.valuesPerDictionary());
            out.printf("%-10s %-36s %8s %10s %-8s %10s%n", "id", "key", "size", "memory", "derived", "values");
            for (StoredDictionaries.Entry dictionary : dictionaries) {
                Long count = uses.remove(dictionary.id());
                out.printf("%-10d %-36s %8s %10s %-8s %10s%n", dictionary.id(), dictionary.key(),
                        dictionary.size() < 0 ? "gone" : Numbers.count(dictionary.size()),
                        dictionary.memoryUsage() < 0 ? "gone" : Numbers.count(dictionary.memoryUsage()),
                        dictionary.derivedId() ? "yes" : "no", Numbers.count(count == null ? 0 : count));
            }
            out.println(dictionaries.size() + " dictionaries, " + Numbers.count(StoredDictionaries.totalSize(dictionaries))
                    + " bytes, memory usage " + Numbers.count(StoredDictionaries.totalMemoryUsage(dictionaries)) + " bytes; "
                    + Numbers.count(stats.values()) + " values sampled (" + pattern + ")");
            uses.forEach((id, count) -> out.println("not stored: dictionary " + id + ", named by " + Numbers.count(count)
                    + " sampled values (they cannot be decoded)"));
            store.evictionRisk().ifPresent(risk -> out.println("warning: " + risk));
            return uses.isEmpty() ? ExitCode.OK : ExitCode.FINDING;
        }
    }
}
