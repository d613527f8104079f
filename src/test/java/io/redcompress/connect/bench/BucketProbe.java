package io.redcompress.connect.bench;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.function.ToLongFunction;
import java.util.zip.CRC32;

import io.redcompress.connect.codec.Codec;
import io.redcompress.connect.codec.DictionaryTrainer;
import io.redcompress.connect.codec.ValueEncoder;
import io.redcompress.connect.codec.ZstdDictionary;
import io.redcompress.connect.testing.RedisServerProcess;
import io.redcompress.connect.testing.SampleData;
import net.jpountz.xxhash.XXHashFactory;
import redis.clients.jedis.Jedis;
import redis.clients.jedis.Pipeline;

/**
 * Throwaway measurement for the design of issue 10 (docs/design/bucketed-layout.md), not a benchmark to keep:
 * <ol>
 *   <li>how candidate bucket hashes spread 400,000 device keys over buckets, and what share of buckets ends above
 *       Redis's listpack limit of 128 entries for several mean bucket sizes (a bucket above it is converted to a
 *       hashtable for good), and their cost per key in Java;</li>
 *   <li>Redis's used_memory per entry, the share of listpack-encoded buckets, and redis-server CPU per write, for
 *       plain keys and for buckets (HSET), with values as the connector writes them (none, zstd with a dictionary),
 *       under Redis's default and raised {@code hash-max-listpack-*} settings.</li>
 * </ol>
 *
 * <pre>./mvnw -q -o -Pbench package -Dbench.main=io.redcompress.connect.bench.BucketProbe</pre>
 */
public final class BucketProbe {

    private static final int ENTRIES = 400_000;
    private static final int DEVICES = ENTRIES;
    private static final int BATCH = 500;

    private BucketProbe() {
    }

    public static void main(String[] args) throws Exception {
        List<byte[]> keys = new ArrayList<>(ENTRIES);
        for (int i = 0; i < DEVICES; i++) {
            keys.add(String.format("hb:sensor-%06d", i).getBytes(StandardCharsets.UTF_8));
        }
        spread(keys);
        memory(keys);
        System.exit(0);
    }

    // ---- 1. hashes ------------------------------------------------------------------------------------------------

    private static void spread(List<byte[]> keys) {
        XXHashFactory xx = XXHashFactory.fastestInstance();
        Map<String, ToLongFunction<byte[]>> hashes = new java.util.LinkedHashMap<>();
        hashes.put("crc32 (IEEE, zlib)", key -> {
            CRC32 crc = new CRC32();
            crc.update(key);
            return crc.getValue();
        });
        hashes.put("fnv-1a 64", key -> {
            long h = 0xcbf29ce484222325L;
            for (byte b : key) {
                h ^= b & 0xFF;
                h *= 0x100000001b3L;
            }
            return h;
        });
        hashes.put("xxh64 seed 0", key -> xx.hash64().hash(key, 0, key.length, 0));
        System.out.println("Spread of " + keys.size() + " keys 'hb:sensor-NNNNNN' (unsigned hash mod buckets):");
        System.out.println("| hash | ns/key | mean per bucket | buckets | max | share of buckets > 128 |");
        System.out.println("|---|--:|--:|--:|--:|--:|");
        for (Map.Entry<String, ToLongFunction<byte[]>> hash : hashes.entrySet()) {
            long best = Long.MAX_VALUE;
            long sink = 0;
            for (int pass = 0; pass < 5; pass++) {
                long started = System.nanoTime();
                for (byte[] key : keys) {
                    sink += hash.getValue().applyAsLong(key);
                }
                best = Math.min(best, System.nanoTime() - started);
            }
            for (int mean : new int[] {64, 96, 112, 128}) {
                int buckets = keys.size() / mean;
                int[] load = new int[buckets];
                for (byte[] key : keys) {
                    load[(int) Long.remainderUnsigned(hash.getValue().applyAsLong(key), buckets)]++;
                }
                long over = Arrays.stream(load).filter(n -> n > 128).count();
                System.out.printf("| %s | %.1f | %d | %,d | %d | %.2f%% |%n", hash.getKey(), best / (double) keys.size(), mean,
                        buckets, Arrays.stream(load).max().orElse(0), 100.0 * over / buckets);
            }
            if (sink == 42) {
                System.out.println();
            }
        }
    }

    // ---- 2. Redis memory and CPU -----------------------------------------------------------------------------------

    private record Layout(String name, boolean buckets, int perBucket, int listpackEntries, int listpackValue,
                          boolean dictionary) {
    }

    private static void memory(List<byte[]> keys) throws Exception {
        Random random = new Random(1);
        List<byte[]> originals = new ArrayList<>(keys.size());
        for (int i = 0; i < keys.size(); i++) {
            originals.add(SampleData.heartbeat(String.format("sensor-%06d", i), i, random));
        }
        ZstdDictionary dictionary = DictionaryTrainer.train(originals.subList(0, 2_000), 4096);
        ValueEncoder none = ValueEncoder.builder().codec(Codec.NONE).build();
        ValueEncoder zstd = ValueEncoder.builder().codec(Codec.ZSTD).level(1).build();
        List<byte[]> plain = originals.stream().map(none::encode).toList();
        List<byte[]> small = originals.stream().map(v -> zstd.encode(v, dictionary)).toList();
        System.out.printf("%nValues: none %.1f B, zstd+dictionary %.1f B on average; %.1f%% of the zstd+dictionary values "
                        + "are over 64 B (hash-max-listpack-value's default)%n",
                plain.stream().mapToInt(v -> v.length).average().orElse(0), small.stream().mapToInt(v -> v.length).average().orElse(0),
                100.0 * small.stream().filter(v -> v.length > 64).count() / small.size());
        List<Layout> layouts = List.of(
                new Layout("keys, none", false, 0, 128, 64, false),
                new Layout("keys, zstd+dict", false, 0, 128, 64, true),
                new Layout("buckets of ~96, zstd+dict, listpack 128/64 (defaults)", true, 96, 128, 64, true),
                new Layout("buckets of ~96, zstd+dict, listpack 128/128", true, 96, 128, 128, true),
                new Layout("buckets of ~200, zstd+dict, listpack 256/128", true, 200, 256, 128, true),
                new Layout("buckets of ~450, zstd+dict, listpack 512/128", true, 450, 512, 128, true),
                new Layout("buckets of ~96, none, listpack 128/256", true, 96, 128, 256, false));
        System.out.println("| layout | used_memory B per entry | vs keys, none | listpack buckets | redis-server CPU us per write |");
        System.out.println("|---|--:|--:|--:|--:|");
        double keysNone = Double.NaN;
        try (RedisServerProcess redis = RedisServerProcess.builder().start();
             Jedis jedis = new Jedis("127.0.0.1", redis.port())) {
            for (Layout layout : layouts) {
                jedis.flushAll();
                jedis.configSet("hash-max-listpack-entries", Integer.toString(layout.listpackEntries()));
                jedis.configSet("hash-max-listpack-value", Integer.toString(layout.listpackValue()));
                List<byte[]> values = layout.dictionary() ? small : plain;
                long before = usedMemory(jedis);
                double cpuBefore = cpuSeconds(jedis);
                int buckets = layout.buckets() ? keys.size() / layout.perBucket() : 0;
                Pipeline pipeline = jedis.pipelined();
                for (int i = 0; i < keys.size(); i++) {
                    byte[] key = keys.get(i);
                    if (layout.buckets()) {
                        CRC32 crc = new CRC32();
                        crc.update(key);
                        byte[] bucket = ("b:" + crc.getValue() % buckets).getBytes(StandardCharsets.UTF_8);
                        pipeline.hset(bucket, key, values.get(i));
                    } else {
                        pipeline.set(key, values.get(i));
                    }
                    if (i % BATCH == BATCH - 1) {
                        pipeline.sync();
                    }
                }
                pipeline.sync();
                double cpu = cpuSeconds(jedis) - cpuBefore;
                long perEntry = (usedMemory(jedis) - before) / keys.size();
                String listpack = "-";
                if (layout.buckets()) {
                    int listpacks = 0;
                    for (int b = 0; b < buckets; b++) {
                        if ("listpack".equals(jedis.objectEncoding("b:" + b))) {
                            listpacks++;
                        }
                    }
                    listpack = String.format("%.1f%%", 100.0 * listpacks / buckets);
                }
                if (Double.isNaN(keysNone)) {
                    keysNone = perEntry;
                }
                System.out.printf("| %s | %d | %.3fx | %s | %.2f |%n", layout.name(), perEntry, perEntry / keysNone, listpack,
                        cpu * 1e6 / keys.size());
            }
            System.out.println("(redis " + redis.versionString() + "; used_memory growth over the emptied server; CPU: "
                    + "used_cpu_user + used_cpu_sys, pipelines of " + BATCH + ")");
        }
    }

    private static long usedMemory(Jedis jedis) {
        return Long.parseLong(info(jedis, "memory", "used_memory"));
    }

    private static double cpuSeconds(Jedis jedis) {
        return Double.parseDouble(info(jedis, "cpu", "used_cpu_user")) + Double.parseDouble(info(jedis, "cpu", "used_cpu_sys"));
    }

    private static String info(Jedis jedis, String section, String field) {
        for (String line : jedis.info(section).split("\r\n")) {
            if (line.startsWith(field + ":")) {
                return line.substring(field.length() + 1);
            }
        }
        throw new IllegalStateException("INFO " + section + " has no " + field);
    }
}
