package io.redcompress.connect.codec.bench;

import java.util.ArrayList;
import java.util.List;
import java.util.Random;

import com.github.luben.zstd.ZstdCompressCtx;
import com.github.luben.zstd.ZstdDictCompress;

import io.redcompress.connect.codec.DictionaryTrainer;
import io.redcompress.connect.codec.ZstdDictionary;
import io.redcompress.connect.testing.SampleData;

/**
 * Throwaway measurement behind two choices of issue 9, not a benchmark to keep: what a small value costs zstd with one
 * kept context, by level and by table sizes (window, hash and chain logs, strategy), without a dictionary; and by
 * level with a trained 4 or 16 KiB dictionary (magicless frames, as codec id 5 writes them). Prints ns per value (best
 * of 7 passes over 3,000-5,000 values) and the payload ratio, for heartbeats and JSON log lines.
 *
 * <pre>./mvnw -q -o -Pbench package -Dbench.main=io.redcompress.connect.codec.bench.ZstdLevelProbe</pre>
 */
public final class ZstdLevelProbe {

    private ZstdLevelProbe() {
    }

    public static void main(String[] args) {
        for (String kind : new String[] {"heartbeat", "log"}) {
            withoutDictionary(kind);
            withDictionary(kind);
        }
    }

    private static byte[][] values(String kind, long first, int count, Random random) {
        byte[][] values = new byte[count][];
        for (int i = 0; i < count; i++) {
            values[i] = SampleData.ofKind(kind, first + i, random);
        }
        return values;
    }

    private static void withoutDictionary(String kind) {
        byte[][] values = values(kind, 0, 5_000, new Random(1));
        String[] names = {"level 3", "level 1", "level 3, window 14, hash 12, chain 12", "level 1, hash 12, chain 12",
            "level 3, hash 10, chain 10", "level -1", "level 3, strategy fast, hash 12"};
        for (int k = 0; k < names.length; k++) {
            try (ZstdCompressCtx context = new ZstdCompressCtx()) {
                switch (k) {
                    case 0 -> context.setLevel(3);
                    case 1 -> context.setLevel(1);
                    case 2 -> context.setLevel(3).setHashLog(12).setChainLog(12).setWindowLog(14);
                    case 3 -> context.setLevel(1).setHashLog(12).setChainLog(12);
                    case 4 -> context.setLevel(3).setHashLog(10).setChainLog(10);
                    case 5 -> context.setLevel(-1);
                    default -> context.setLevel(3).setStrategy(1).setHashLog(12);
                }
                context.setContentSize(true).setChecksum(false);
                print(kind, "no dictionary, " + names[k], context, values);
            }
        }
    }

    private static void withDictionary(String kind) {
        Random random = new Random(1);
        List<byte[]> training = new ArrayList<>(List.of(values(kind, 0, 2_000, random)));
        byte[][] values = values(kind, 100_000, 3_000, random);
        for (int size : new int[] {4096, 16384}) {
            ZstdDictionary dictionary = DictionaryTrainer.train(training, size);
            for (int level : new int[] {-5, -1, 1, 2, 3}) {
                try (ZstdDictCompress digested = new ZstdDictCompress(dictionary.bytes(), level);
                     ZstdCompressCtx context = new ZstdCompressCtx()) {
                    context.setLevel(level).setMagicless(true).setDictID(false).setContentSize(false).setChecksum(false);
                    context.loadDict(digested);
                    print(kind, size / 1024 + " KiB dictionary, level " + level, context, values);
                }
            }
        }
    }

    private static void print(String kind, String what, ZstdCompressCtx context, byte[][] values) {
        byte[] dst = new byte[1 << 20];
        long original = 0;
        for (byte[] value : values) {
            original += value.length;
        }
        long payload = 0;
        long best = Long.MAX_VALUE;
        for (int pass = 0; pass < 7; pass++) {
            long started = System.nanoTime();
            payload = 0;
            for (byte[] value : values) {
                payload += context.compressByteArray(dst, 0, dst.length, value, 0, value.length);
            }
            best = Math.min(best, System.nanoTime() - started);
        }
        System.out.printf("%-9s %-45s %6.0f ns/value, payload %.3f of the original%n", kind, what,
                best / (double) values.length, (double) payload / original);
    }
}
