package io.redcompress.connect.codec;

import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;

/**
 * Dictionary ids of the value format: derived from a dictionary's content, so that two tasks that train
 * the same dictionary give it the same id, and written into the dictionary itself (bytes 4..7,
 * little-endian, where zstd keeps a dictionary's id), so that the stored bytes say which id they are.
 *
 * <pre>
 * id = (first 4 bytes of SHA-256(dictionary with bytes 4..7 set to zero), big-endian, unsigned)
 *        mod (2^21 - 2^15) + 2^15
 * </pre>
 *
 * Ids are in [{@value #MIN_ID}, {@value #MAX_ID}]: always 3 bytes as a varint, and outside the ranges
 * zstd reserves (1..32767 and 2^31 and above). Anyone can check a stored dictionary by recomputing it.
 */
public final class DictionaryIds {

    /** Lowest derived id (2^15). */
    public static final long MIN_ID = 1L << 15;
    /** Highest derived id (2^21 - 1). */
    public static final long MAX_ID = (1L << 21) - 1;
    /** First 4 bytes of every zstd dictionary in the "full" format (0xEC30A437 little-endian). */
    static final int DICTIONARY_MAGIC = 0xEC30A437;
    /** Shortest array that holds a dictionary's magic and id. */
    static final int HEADER_LENGTH = 8;

    private DictionaryIds() {
    }

    /** The id derived from {@code dictionary}'s content (its bytes 4..7 do not count). */
    public static long derive(byte[] dictionary) {
        checkFullDictionary(dictionary);
        MessageDigest sha256;
        try {
            sha256 = MessageDigest.getInstance("SHA-256");
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("the JDK has no SHA-256", e);
        }
        sha256.update(dictionary, 0, 4);
        sha256.update(new byte[4]);
        sha256.update(dictionary, HEADER_LENGTH, dictionary.length - HEADER_LENGTH);
        byte[] digest = sha256.digest();
        long first4 = ((digest[0] & 0xFFL) << 24) | ((digest[1] & 0xFFL) << 16) | ((digest[2] & 0xFFL) << 8)
                | (digest[3] & 0xFFL);
        return first4 % (MAX_ID + 1 - MIN_ID) + MIN_ID;
    }

    /** The id written in bytes 4..7 of {@code dictionary} (little-endian, unsigned). */
    public static long embedded(byte[] dictionary) {
        checkFullDictionary(dictionary);
        return (dictionary[4] & 0xFFL) | ((dictionary[5] & 0xFFL) << 8) | ((dictionary[6] & 0xFFL) << 16)
                | ((dictionary[7] & 0xFFL) << 24);
    }

    /** A copy of {@code dictionary} with its derived id written into bytes 4..7. */
    public static byte[] withDerivedId(byte[] dictionary) {
        byte[] copy = dictionary.clone();
        long id = derive(copy);
        copy[4] = (byte) id;
        copy[5] = (byte) (id >>> 8);
        copy[6] = (byte) (id >>> 16);
        copy[7] = (byte) (id >>> 24);
        return copy;
    }

    /** Whether {@code dictionary} is a zstd dictionary whose embedded id is its derived id. */
    public static boolean hasDerivedId(byte[] dictionary) {
        return isFullDictionary(dictionary) && embedded(dictionary) == derive(dictionary);
    }

    /** Whether {@code bytes} start with the zstd dictionary magic and are long enough to hold an id. */
    public static boolean isFullDictionary(byte[] bytes) {
        return bytes != null && bytes.length > HEADER_LENGTH
                && ((bytes[0] & 0xFF) | (bytes[1] & 0xFF) << 8 | (bytes[2] & 0xFF) << 16 | (bytes[3] & 0xFF) << 24)
                        == DICTIONARY_MAGIC;
    }

    private static void checkFullDictionary(byte[] dictionary) {
        if (!isFullDictionary(dictionary)) {
            throw new IllegalArgumentException("not a zstd dictionary: "
                    + (dictionary == null ? "null" : dictionary.length + " bytes")
                    + " not starting with the dictionary magic 37 A4 30 EC");
        }
    }
}
