package io.redcompress.connect.codec;

import com.github.luben.zstd.ZstdDictCompress;
import com.github.luben.zstd.ZstdDictDecompress;
import java.util.Objects;

/**
 * A zstd dictionary of the value format: the bytes as stored in Redis ({@code <prefix>:<id>}), a zstd
 * dictionary in the "full" format whose bytes 4..7 hold its {@link #id()}. Immutable and thread-safe;
 * the digested forms zstd compresses and decompresses with are made on first use, once, and shared by
 * every thread (zstd's digested dictionaries are read-only).
 */
public final class ZstdDictionary {

    private final byte[] bytes;
    private final long id;
    private volatile ZstdDictDecompress decompressor;
    /**
     * One digested form per level asked for, kept as long as the dictionary: a compression context references the
     * native form it loaded, which must not be collected (and freed) while the context may still use it.
     */
    private final java.util.concurrent.ConcurrentHashMap<Integer, ZstdDictCompress> compressors =
            new java.util.concurrent.ConcurrentHashMap<>(2);

    private ZstdDictionary(byte[] bytes, long id) {
        this.bytes = bytes;
        this.id = id;
    }

    /**
     * The dictionary stored as {@code bytes} (copied).
     *
     * @throws IllegalArgumentException if {@code bytes} is not a zstd dictionary or has id 0
     */
    public static ZstdDictionary of(byte[] bytes) {
        Objects.requireNonNull(bytes, "bytes");
        long id = DictionaryIds.embedded(bytes);
        if (id == 0) {
            throw new IllegalArgumentException("zstd dictionary of " + bytes.length + " bytes has id 0, which the "
                    + "value format reserves; give it an id with DictionaryIds.withDerivedId");
        }
        return new ZstdDictionary(bytes.clone(), id);
    }

    /** The id values name it by (bytes 4..7 of the dictionary). */
    public long id() {
        return id;
    }

    /** The dictionary as stored, a copy. */
    public byte[] bytes() {
        return bytes.clone();
    }

    /** Size in bytes, as stored. */
    public int size() {
        return bytes.length;
    }

    /** Whether {@link #id()} is the id derived from the content ({@link DictionaryIds#derive}). */
    public boolean hasDerivedId() {
        return DictionaryIds.hasDerivedId(bytes);
    }

    /**
     * Digests the dictionary now, for compression at {@code level} and for decompression, so that a dictionary zstd
     * cannot use fails here rather than at the first value.
     *
     * @throws IllegalArgumentException if zstd rejects it (damaged entropy tables, for example)
     */
    public void check(int level) {
        try {
            compressor(level);
            decompressor();
        } catch (RuntimeException e) {
            throw new IllegalArgumentException("zstd cannot use dictionary " + id + " (" + bytes.length + " bytes): "
                    + e.getMessage(), e);
        }
    }

    /** The digested form for compression at {@code level}, made once per level and kept with the dictionary. */
    ZstdDictCompress compressor(int level) {
        return compressors.computeIfAbsent(level, l -> new ZstdDictCompress(bytes, l));
    }

    /** The digested form for decompression, made once. */
    ZstdDictDecompress decompressor() {
        ZstdDictDecompress current = decompressor;
        if (current == null) {
            synchronized (this) {
                current = decompressor;
                if (current == null) {
                    current = new ZstdDictDecompress(bytes);
                    decompressor = current;
                }
            }
        }
        return current;
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof ZstdDictionary other && other.id == id && java.util.Arrays.equals(other.bytes, bytes);
    }

    @Override
    public int hashCode() {
        return Long.hashCode(id);
    }

    @Override
    public String toString() {
        return "ZstdDictionary[id=" + id + ", " + bytes.length + " bytes]";
    }
}
