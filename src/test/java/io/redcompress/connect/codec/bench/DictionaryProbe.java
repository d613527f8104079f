package io.redcompress.connect.codec.bench;

import java.nio.ByteBuffer;
import java.util.Arrays;
import java.util.Random;

import com.github.luben.zstd.Zstd;
import com.github.luben.zstd.ZstdCompressCtx;
import com.github.luben.zstd.ZstdDecompressCtx;
import com.github.luben.zstd.ZstdDictCompress;
import com.github.luben.zstd.ZstdDictDecompress;
import com.github.luben.zstd.ZstdDictTrainer;
import com.github.luben.zstd.ZstdException;

import io.redcompress.connect.codec.ValueFormat;
import io.redcompress.connect.testing.SampleData;

/**
 * Throwaway measurement for the issue 9 design (docs/design/zstd-dictionaries.md), not a benchmark to keep: trains zstd
 * dictionaries with zstd-jni on {@link SampleData} heartbeats and JSON log lines and prints, per dictionary size and
 * level, the average payload of a standard frame and of a magicless frame without dictionary id, content size or
 * checksum, the stored value size with our 8-byte header, encode/decode nanoseconds per value with one kept context,
 * the training time, and a few behaviours the design relies on (dictionary id patching, determinism, truncation and
 * trailing bytes in magicless frames).
 *
 * <pre>./mvnw -q -o -Pbench package -Dbench.main=io.redcompress.connect.codec.bench.DictionaryProbe</pre>
 */
public final class DictionaryProbe {

    private static final int TRAIN = 2_000;
    private static final int TEST = 5_000;
    private static final int[] DICT_SIZES = {4 << 10, 16 << 10, 64 << 10};
    private static final int[] LEVELS = {1, 3};

    private DictionaryProbe() {
    }

    public static void main(String[] args) {
        System.out.println("zstd-jni " + com.github.luben.zstd.util.ZstdVersion.VERSION + ", 2 threads available: " + Runtime.getRuntime().availableProcessors());
        for (String kind : new String[] {"heartbeat", "log"}) {
            probe(kind);
        }
        behaviours();
    }

    private static byte[][] values(String kind, long firstSequence, int count, long seed) {
        Random random = new Random(seed);
        byte[][] values = new byte[count][];
        for (int i = 0; i < count; i++) {
            values[i] = SampleData.ofKind(kind, firstSequence + i, random);
        }
        return values;
    }

    private static void probe(String kind) {
        byte[][] train = values(kind, 0, TRAIN, 1);
        byte[][] test = values(kind, 1_000_000, TEST, 2);
        double avgOriginal = Arrays.stream(test).mapToInt(v -> v.length).average().orElse(0);
        long trainBytes = Arrays.stream(train).mapToLong(v -> v.length).sum();
        int header = ValueFormat.headerLength((int) avgOriginal, true);
        System.out.printf("%n== %s: %d training samples (%d bytes), %d test values, average original %.1f B, header %d B%n",
                kind, TRAIN, trainBytes, TEST, avgOriginal, header);
        System.out.println("dict       level  variant                         payload B  stored B  <=60B%  enc ns  dec ns");
        for (int level : LEVELS) {
            row(kind, "none", level, null, test, header);
        }
        for (int size : DICT_SIZES) {
            long t0 = System.nanoTime();
            byte[] dict;
            try {
                dict = trainDict(train, size);
            } catch (ZstdException e) {
                System.out.printf("%-9s  training failed: %s%n", size / 1024 + "KiB", e.getMessage());
                continue;
            }
            long trainMs = (System.nanoTime() - t0) / 1_000_000;
            long t1 = System.nanoTime();
            byte[] again = trainDict(train, size);
            long trainMs2 = (System.nanoTime() - t1) / 1_000_000;
            System.out.printf("%-9s  trained %d B in %d ms (again: %d ms, identical=%b), zstd dict id %d%n",
                    size / 1024 + "KiB", dict.length, trainMs, trainMs2, Arrays.equals(dict, again), Zstd.getDictIdFromDict(dict));
            for (int level : LEVELS) {
                row(kind, size / 1024 + "KiB", level, dict, test, header);
            }
        }
    }

    private static byte[] trainDict(byte[][] samples, int dictSize) {
        ZstdDictTrainer trainer = new ZstdDictTrainer(Integer.MAX_VALUE, dictSize);
        for (byte[] sample : samples) {
            trainer.addSample(sample);
        }
        return trainer.trainSamples();
    }

    private static void row(String kind, String dictName, int level, byte[] dict, byte[][] test, int header) {
        ZstdDictCompress cdict = dict == null ? null : new ZstdDictCompress(dict, level);
        ZstdDictDecompress ddict = dict == null ? null : new ZstdDictDecompress(dict);
        for (boolean compact : new boolean[] {false, true}) {
            try (ZstdCompressCtx cctx = new ZstdCompressCtx(); ZstdDecompressCtx dctx = new ZstdDecompressCtx()) {
                cctx.setLevel(level).setChecksum(false);
                if (compact) {
                    cctx.setMagicless(true).setDictID(false).setContentSize(false);
                    dctx.setMagicless(true);
                } else {
                    cctx.setContentSize(true).setDictID(true);
                }
                if (cdict != null) {
                    cctx.loadDict(cdict);
                    dctx.loadDict(ddict);
                }
                byte[] dst = new byte[(int) Zstd.compressBound(64 << 10)];
                byte[][] encoded = new byte[test.length][];
                long bytes = 0;
                int fits = 0;
                int[] fitsById = new int[6];
                // the payload alone; the stored value adds our header and, for the compact variant, a 3-byte dictionary id
                int extra = header + (compact && dict != null ? 3 : compact ? 1 : 0);
                for (int i = 0; i < test.length; i++) {
                    int n = cctx.compressByteArray(dst, 0, dst.length, test[i], 0, test[i].length);
                    encoded[i] = Arrays.copyOf(dst, n);
                    bytes += n;
                    if (n + extra <= 60) {
                        fits++;
                    }
                    for (int k = 0; k < fitsById.length; k++) {
                        if (n + header + k <= 60) {
                            fitsById[k]++;
                        }
                    }
                }
                long encNs = Long.MAX_VALUE;
                long decNs = Long.MAX_VALUE;
                for (int round = 0; round < 5; round++) {
                    long t0 = System.nanoTime();
                    for (byte[] v : test) {
                        cctx.compressByteArray(dst, 0, dst.length, v, 0, v.length);
                    }
                    encNs = Math.min(encNs, (System.nanoTime() - t0) / test.length);
                    long t1 = System.nanoTime();
                    for (int i = 0; i < test.length; i++) {
                        byte[] out = new byte[test[i].length];
                        int n = dctx.decompressByteArray(out, 0, out.length, encoded[i], 0, encoded[i].length);
                        if (round == 0 && (n != out.length || !Arrays.equals(out, test[i]))) {
                            throw new AssertionError(kind + " value " + i + " did not round-trip");
                        }
                    }
                    decNs = Math.min(decNs, (System.nanoTime() - t1) / test.length);
                }
                double avg = (double) bytes / test.length;
                String variant = compact ? "magicless, no id/size/checksum" : "standard frame (+size,+id)";
                System.out.printf("%-9s  %5d  %-30s  %9.1f  %8.1f  %5.1f  %6d  %6d%n", dictName, level, variant, avg,
                        avg + extra, 100.0 * fits / test.length, encNs, decNs);
                if (compact && dict != null && "heartbeat".equals(kind)) {
                    StringBuilder line = new StringBuilder("             stored <= 60 B (Redis 64 B class) with a dictionary id of 0..5 bytes:");
                    for (int f : fitsById) {
                        line.append(String.format(" %.1f%%", 100.0 * f / test.length));
                    }
                    System.out.println(line);
                }
            }
        }
        if (cdict != null) {
            cdict.close();
            ddict.close();
        }
    }

    /** Dictionary id patching, magicless truncation and trailing bytes, the prepend-the-magic trick. */
    private static void behaviours() {
        System.out.println("\n== behaviours");
        byte[][] train = values("heartbeat", 0, TRAIN, 1);
        byte[] dict = trainDict(train, 4 << 10);
        System.out.printf("dict header: %02X %02X %02X %02X, id LE bytes 4..7 -> %d%n", dict[0], dict[1], dict[2], dict[3],
                Zstd.getDictIdFromDict(dict));
        byte[] patched = dict.clone();
        int id = 0x0A1B2C;
        ByteBuffer.wrap(patched, 4, 4).order(java.nio.ByteOrder.LITTLE_ENDIAN).putInt(id);
        byte[] value = values("heartbeat", 7, 1, 9)[0];
        try (ZstdDictCompress cdict = new ZstdDictCompress(patched, 3); ZstdDictDecompress ddict = new ZstdDictDecompress(patched);
             ZstdCompressCtx std = new ZstdCompressCtx(); ZstdCompressCtx compact = new ZstdCompressCtx();
             ZstdDecompressCtx dstd = new ZstdDecompressCtx(); ZstdDecompressCtx dcompact = new ZstdDecompressCtx()) {
            std.setLevel(3).setDictID(true).setContentSize(true).loadDict(cdict);
            compact.setLevel(3).setMagicless(true).setDictID(false).setContentSize(false).setChecksum(false).loadDict(cdict);
            dstd.loadDict(ddict);
            dcompact.setMagicless(true).loadDict(ddict);
            byte[] frame = std.compress(value);
            byte[] raw = compact.compress(value);
            System.out.printf("patched id: getDictIdFromDict=%d getDictIdFromFrame(standard)=%d (wanted %d); standard %d B, compact %d B%n",
                    Zstd.getDictIdFromDict(patched), Zstd.getDictIdFromFrame(frame), id, frame.length, raw.length);
            System.out.printf("compact frame starts %02X %02X (frame header descriptor, window descriptor)%n", raw[0], raw[1]);
            byte[] withMagic = new byte[raw.length + 4];
            System.arraycopy(frame, 0, withMagic, 0, 4);
            System.arraycopy(raw, 0, withMagic, 4, raw.length);
            System.out.printf("magic + compact frame: findFrameCompressedSize=%d of %d, contentSize=%d, decodes with a standard ctx: %b%n",
                    Zstd.findFrameCompressedSize(withMagic, 0, withMagic.length), withMagic.length,
                    Zstd.getFrameContentSize(withMagic, 0, withMagic.length),
                    Arrays.equals(dstd.decompress(withMagic, value.length), value));
            System.out.printf("findFrameCompressedSize on the magicless frame itself: %s%n", attempt(() ->
                    Zstd.findFrameCompressedSize(raw, 0, raw.length)));
            for (int cut : new int[] {1, 2, raw.length / 2, raw.length - 1}) {
                byte[] shortFrame = Arrays.copyOf(raw, cut);
                System.out.printf("magicless cut to %d of %d: %s%n", cut, raw.length, attempt(() ->
                        dcompact.decompressByteArray(new byte[value.length], 0, value.length, shortFrame, 0, shortFrame.length)));
            }
            byte[] empty = compact.compress(new byte[0]);
            byte[] trailing = Arrays.copyOf(raw, raw.length + empty.length);
            System.arraycopy(empty, 0, trailing, raw.length, empty.length);
            System.out.printf("magicless + an empty magicless frame (%d B) after it: %s%n", empty.length, attempt(() ->
                    dcompact.decompressByteArray(new byte[value.length], 0, value.length, trailing, 0, trailing.length)));
            byte[] junk = Arrays.copyOf(raw, raw.length + 1);
            System.out.printf("magicless + 1 junk byte: %s%n", attempt(() ->
                    dcompact.decompressByteArray(new byte[value.length], 0, value.length, junk, 0, junk.length)));
            try (ZstdDecompressCtx noDict = new ZstdDecompressCtx()) {
                noDict.setMagicless(true);
                System.out.printf("magicless frame decoded without its dictionary: %s%n", attempt(() ->
                        noDict.decompressByteArray(new byte[value.length], 0, value.length, raw, 0, raw.length)));
            }
            byte[] other = trainDict(values("heartbeat", 50_000, TRAIN, 5), 4 << 10);
            try (ZstdDecompressCtx wrong = new ZstdDecompressCtx()) {
                wrong.setMagicless(true).loadDict(other);
                byte[] out = new byte[value.length];
                String r = attempt(() -> wrong.decompressByteArray(out, 0, out.length, raw, 0, raw.length));
                System.out.printf("magicless frame decoded with another heartbeat dictionary: %s, bytes equal: %b%n", r,
                        Arrays.equals(out, value));
            }
            long t0 = System.nanoTime();
            int n = 2000;
            for (int i = 0; i < n; i++) {
                try (ZstdDictCompress c = new ZstdDictCompress(patched, 3)) {
                    c.getClass();
                }
            }
            long t1 = System.nanoTime();
            for (int i = 0; i < n; i++) {
                try (ZstdDictDecompress d = new ZstdDictDecompress(patched)) {
                    d.getClass();
                }
            }
            long t2 = System.nanoTime();
            System.out.printf("digesting a 4 KiB dictionary: ZstdDictCompress(level 3) %d ns, ZstdDictDecompress %d ns%n",
                    (t1 - t0) / n, (t2 - t1) / n);
        }
    }

    private static String attempt(java.util.function.LongSupplier call) {
        try {
            long r = call.getAsLong();
            return Zstd.isError(r) ? "error " + Zstd.getErrorName(r) : "returned " + r;
        } catch (RuntimeException e) {
            return e.getClass().getSimpleName() + ": " + e.getMessage();
        }
    }
}
