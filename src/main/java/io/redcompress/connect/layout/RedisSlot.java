package io.redcompress.connect.layout;

import java.nio.charset.StandardCharsets;

/**
 * Redis Cluster's key slot (CRC16-CCITT/XMODEM of the key, or of its hash tag, mod 16384), and for each slot a short
 * hash tag that lands in it: a key {@code <anything>{<tag>}} shares its slot with every data key of that slot, so one
 * script may touch both, also in a cluster. The table of tags is computed, the same in every JVM.
 */
public final class RedisSlot {

    public static final int SLOTS = 16_384;

    private static final int[] TABLE = new int[256];
    private static final String[] TAGS = new String[SLOTS];

    static {
        for (int i = 0; i < 256; i++) {
            int crc = i << 8;
            for (int bit = 0; bit < 8; bit++) {
                crc = (crc & 0x8000) != 0 ? (crc << 1) ^ 0x1021 : crc << 1;
            }
            TABLE[i] = crc & 0xFFFF;
        }
        int found = 0;
        for (long n = 0; found < SLOTS; n++) {
            String tag = Long.toString(n, 36);
            int slot = crc16(tag.getBytes(StandardCharsets.US_ASCII), 0, tag.length()) % SLOTS;
            if (TAGS[slot] == null) {
                TAGS[slot] = tag;
                found++;
            }
        }
    }

    private RedisSlot() {
    }

    /** The slot of {@code key}, as Redis Cluster computes it (the hash tag's, when the key has a non-empty one). */
    public static int of(byte[] key) {
        int open = indexOf(key, (byte) '{', 0);
        if (open >= 0) {
            int close = indexOf(key, (byte) '}', open + 1);
            if (close > open + 1) {
                return crc16(key, open + 1, close - open - 1) % SLOTS;
            }
        }
        return crc16(key, 0, key.length) % SLOTS;
    }

    /** A base-36 tag whose key {@code {tag}} is in {@code slot}: the first number, counting up, that lands there. */
    public static String tag(int slot) {
        return TAGS[slot];
    }

    static int crc16(byte[] bytes, int from, int length) {
        int crc = 0;
        for (int i = from; i < from + length; i++) {
            crc = ((crc << 8) ^ TABLE[((crc >>> 8) ^ bytes[i]) & 0xFF]) & 0xFFFF;
        }
        return crc;
    }

    private static int indexOf(byte[] bytes, byte b, int from) {
        for (int i = from; i < bytes.length; i++) {
            if (bytes[i] == b) {
                return i;
            }
        }
        return -1;
    }
}
