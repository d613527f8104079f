package io.redcompress.connect.codec;

import com.github.luben.zstd.Zstd;
import com.github.luben.zstd.ZstdCompressCtx;
import com.github.luben.zstd.ZstdDecompressCtx;
import com.github.luben.zstd.ZstdException;
import io.redcompress.connect.codec.CorruptValueException.Reason;

/**
 * Codec {@code zstd}: exactly one standard zstd frame (magic {@code 28 B5 2F FD}). The encoder
 * compresses each value in one call ({@code ZSTD_compress2}) with a {@link ZstdCompressCtx} set to the
 * level once, which writes the content size into the frame header and no frame checksum; the decoder
 * accepts frames without the content size too. Decoding checks that the payload is one complete frame
 * with nothing after it, that a content size in the frame header (if any) equals the declared
 * original length, and then decompresses into an array of exactly that length - a frame that holds
 * more fails with "destination too small" instead of writing past it.
 *
 * <p>A native context costs roughly 10 microseconds to create and free, which dominates for small
 * values: {@link #compress} (one value) pays it per call, an {@link EncodingSession} once, through
 * {@link #open(int)}. A context is never shared between threads. Decoding borrows a
 * {@link ZstdDecompressCtx} from a small pool for each value, so a decoding thread reuses contexts without owning one.
 *
 * <p>Codec id 5, zstd with a dictionary, has its own pair of paths ({@link #openWithDictionary(int)},
 * {@link #decompressWithDictionary}): the payload is a frame without its magic number, dictionary id,
 * content size or checksum, since the value's header says all of that. For decoding, the magic is put
 * back in front and the frame goes through the same checks as a codec-3 frame, so that a payload with a
 * frame appended, or cut short, is never decoded as if it were whole.
 */
final class ZstdBlockCompressor implements BlockCompressor {

    static final ZstdBlockCompressor INSTANCE = new ZstdBlockCompressor();

    private static final byte[] MAGIC_BYTES = {(byte) 0x28, (byte) 0xB5, (byte) 0x2F, (byte) 0xFD};

    private ZstdBlockCompressor() {
    }

    @Override
    public Codec codec() {
        return Codec.ZSTD;
    }

    @Override
    public String implementation() {
        return "native zstd-jni library";
    }

    @Override
    public long maxCompressedLength(int srcLength) {
        return Zstd.compressBound(srcLength);
    }

    /** A native compression context at {@code level}, for one thread; {@code close()} frees it. */
    @Override
    public Compression open(int level) {
        return new ContextCompression(level);
    }

    /** Compresses with dictionaries, for one thread; {@code close()} frees its native context. */
    DictionaryCompression openWithDictionary(int level) {
        return new DictionaryCompression(level);
    }

    @Override
    public byte[] decompress(byte[] src, int off, int len, int originalLength) {
        checkMagic(src, off, len);
        checkFrame(src, off, len, originalLength, 0);
        byte[] out = new byte[originalLength];
        ZstdDecompressCtx context = PLAIN.take();
        try {
            return decompressInto(out, src, off, len, originalLength, context);
        } finally {
            PLAIN.give(context);
        }
    }

    /**
     * Decompresses a codec-5 payload (a magicless frame) of {@code len} bytes with {@code dictionary},
     * which the header named as {@code dictionaryId}.
     */
    byte[] decompressWithDictionary(byte[] src, int off, int len, int originalLength, ZstdDictionary dictionary) {
        byte[] framed = new byte[MAGIC_BYTES.length + len];
        System.arraycopy(MAGIC_BYTES, 0, framed, 0, MAGIC_BYTES.length);
        System.arraycopy(src, off, framed, MAGIC_BYTES.length, len);
        if (len == 0) {
            throw new TruncatedValueException("zstd-with-dictionary payload is empty: the frame is missing");
        }
        checkFrame(framed, 0, framed.length, originalLength, dictionary.id());
        WithDictionary context = WITH_DICTIONARY.take();
        try {
            context.load(dictionary);
            byte[] out = new byte[originalLength];
            return decompressInto(out, framed, 0, framed.length, originalLength, context.context);
        } finally {
            WITH_DICTIONARY.give(context);
        }
    }

    private static byte[] decompressInto(byte[] out, byte[] src, int off, int len, int originalLength,
                                         ZstdDecompressCtx context) {
        long n;
        try {
            n = context.decompressByteArray(out, 0, originalLength, src, off, len);
        } catch (ZstdException e) {
            throw classify(e, "zstd frame of " + len + " bytes could not be decompressed", originalLength);
        }
        if (n != originalLength) {
            throw new CorruptValueException(Reason.LENGTH_MISMATCH, "declared original length " + originalLength
                    + " but zstd payload decompressed to " + n + " bytes");
        }
        return out;
    }

    /**
     * Checks that {@code src[off .. off+len)} is exactly one whole standard frame whose content size (if
     * written) is {@code originalLength} and whose dictionary id (if written) is {@code dictionaryId}.
     */
    private static void checkFrame(byte[] src, int off, int len, int originalLength, long dictionaryId) {
        long frameSize;
        try {
            frameSize = Zstd.findFrameCompressedSize(src, off, len);
        } catch (ZstdException e) {
            throw classify(e, "zstd frame of " + len + " bytes is unreadable", originalLength);
        }
        if (frameSize < len) {
            throw new CorruptValueException(Reason.TRAILING_BYTES, (len - frameSize)
                    + " bytes follow the zstd frame (frame is " + frameSize + " of " + len
                    + " payload bytes; only one frame is allowed)");
        }
        long contentSize = Zstd.getFrameContentSize(src, off, len);
        if (contentSize >= 0 && contentSize != originalLength) {
            throw new CorruptValueException(Reason.LENGTH_MISMATCH, "declared original length " + originalLength
                    + " but the zstd frame header declares " + contentSize + " bytes");
        }
        long frameDictionaryId = frameDictionaryId(src, off, len);
        if (frameDictionaryId != 0 && frameDictionaryId != dictionaryId) {
            throw new CorruptValueException(Reason.CODEC_FAILURE, "the zstd frame names dictionary "
                    + frameDictionaryId + " but the value header names " + (dictionaryId == 0 ? "none" : dictionaryId));
        }
    }

    /**
     * The dictionary id in the header of the standard frame at {@code src[off]}, 0 if it has none, read in place (zstd-jni
     * reads it only from a whole array, which would copy every payload). RFC 8878 3.1.1.1: the magic number, the frame
     * header descriptor, a window descriptor unless the single-segment flag (0x20) is set, then 0, 1, 2 or 4 bytes of
     * dictionary id (descriptor bits 0-1), little-endian. The caller has checked that the frame is complete.
     */
    private static long frameDictionaryId(byte[] src, int off, int len) {
        int descriptor = src[off + MAGIC_BYTES.length] & 0xFF;
        int idLength = DICTIONARY_ID_LENGTHS[descriptor & 0x03];
        int p = off + MAGIC_BYTES.length + 1 + ((descriptor & 0x20) != 0 ? 0 : 1);
        long id = 0;
        for (int i = 0; i < idLength; i++) {
            id |= (src[p + i] & 0xFFL) << (8 * i);
        }
        return id;
    }

    private static final int[] DICTIONARY_ID_LENGTHS = {0, 1, 2, 4};

    private static void checkMagic(byte[] src, int off, int len) {
        int present = Math.min(len, MAGIC_BYTES.length);
        for (int i = 0; i < present; i++) {
            if (src[off + i] != MAGIC_BYTES[i]) {
                throw new CorruptValueException(Reason.CODEC_FAILURE,
                        "zstd payload does not start with the zstd frame magic number 28 B5 2F FD");
            }
        }
        if (len < MAGIC_BYTES.length) {
            throw new TruncatedValueException("zstd payload ends after " + len + " byte(s), inside the frame magic");
        }
    }

    private static ValueDecodingException classify(ZstdException e, String what, int originalLength) {
        long code = e.getErrorCode();
        if (code == Zstd.errSrcSizeWrong()) {
            return new TruncatedValueException(what + ": the frame ends early (" + e.getMessage() + ")", e);
        }
        if (code == Zstd.errDstSizeTooSmall()) {
            return new CorruptValueException(Reason.LENGTH_MISMATCH,
                    what + ": it decompresses to more than the declared original length " + originalLength, e);
        }
        return new CorruptValueException(Reason.CODEC_FAILURE, what + ": " + e.getMessage(), e);
    }

    /**
     * Decompression contexts for codec-3 frames (never with a dictionary) and for codec-5 frames (with the dictionary
     * each used last), lent to one decoding thread at a time: a context is never shared, none outlives the thread that
     * last used it (a thread-local would leak a context's native memory with every thread that ends: they have no
     * finalizer), and at most {@link ContextPool#MAX_IDLE} wait between values.
     */
    private static final ContextPool<ZstdDecompressCtx> PLAIN = new ContextPool<>(ZstdDecompressCtx::new, ZstdDecompressCtx::close);
    private static final ContextPool<WithDictionary> WITH_DICTIONARY = new ContextPool<>(WithDictionary::new, w -> w.context.close());

    /** Decompression contexts waiting in the pools; for tests. */
    static int idleDecompressionContexts() {
        return PLAIN.idle() + WITH_DICTIONARY.idle();
    }

    /** A decompression context and the dictionary loaded into it, so that it is loaded again only on a change. */
    private static final class WithDictionary {
        final ZstdDecompressCtx context = new ZstdDecompressCtx();
        ZstdDictionary loaded;

        void load(ZstdDictionary dictionary) {
            if (loaded != dictionary) {
                context.loadDict(dictionary.decompressor());
                loaded = dictionary;
            }
        }
    }

    /** Idle objects, most recently returned first; beyond {@link #MAX_IDLE} a returned one is closed. */
    static final class ContextPool<T> {
        static final int MAX_IDLE = Math.max(4, 2 * Runtime.getRuntime().availableProcessors());

        private final java.util.concurrent.ConcurrentLinkedDeque<T> idle = new java.util.concurrent.ConcurrentLinkedDeque<>();
        private final java.util.concurrent.atomic.AtomicInteger idleCount = new java.util.concurrent.atomic.AtomicInteger();
        private final java.util.function.Supplier<T> factory;
        private final java.util.function.Consumer<T> closer;

        ContextPool(java.util.function.Supplier<T> factory, java.util.function.Consumer<T> closer) {
            this.factory = factory;
            this.closer = closer;
        }

        T take() {
            T pooled = idle.pollFirst();
            if (pooled == null) {
                return factory.get();
            }
            idleCount.decrementAndGet();
            return pooled;
        }

        void give(T object) {
            if (idleCount.incrementAndGet() <= MAX_IDLE) {
                idle.addFirst(object);
            } else {
                idleCount.decrementAndGet();
                closer.accept(object);
            }
        }

        /** Objects waiting to be taken; for tests. */
        int idle() {
            return idleCount.get();
        }
    }

    /**
     * One {@link ZstdCompressCtx} for codec-5 payloads: a frame without magic number, dictionary id,
     * content size or checksum. The dictionary is referenced (digested once, see
     * {@link ZstdDictionary}), and loaded again only when a value asks for another one.
     */
    static final class DictionaryCompression implements AutoCloseable {

        private final ZstdCompressCtx context = new ZstdCompressCtx();
        private final int level;
        private ZstdDictionary loaded;

        DictionaryCompression(int level) {
            this.level = level;
            try {
                context.setLevel(level).setMagicless(true).setDictID(false).setContentSize(false).setChecksum(false);
            } catch (RuntimeException e) {
                context.close();
                throw e;
            }
        }

        /** Compresses {@code src[srcOff .. srcOff+srcLen)} with {@code dictionary} into {@code dst} from {@code dstOff}. */
        int compress(ZstdDictionary dictionary, byte[] src, int srcOff, int srcLen, byte[] dst, int dstOff) {
            if (loaded != dictionary) {
                context.loadDict(dictionary.compressor(level));
                loaded = dictionary;
            }
            return context.compressByteArray(dst, dstOff, dst.length - dstOff, src, srcOff, srcLen);
        }

        @Override
        public void close() {
            loaded = null;
            context.close();
        }
    }

    /** One {@link ZstdCompressCtx}, its parameters set once, reused for every value. */
    private static final class ContextCompression implements Compression {

        private final ZstdCompressCtx context = new ZstdCompressCtx();

        ContextCompression(int level) {
            try {
                // the defaults, spelled out because the format relies on them: content size in the frame header, no checksum
                context.setLevel(level).setContentSize(true).setChecksum(false);
            } catch (RuntimeException e) {
                context.close();
                throw e;
            }
        }

        /** @throws ZstdException if zstd fails (it does not for a {@code dst} of {@code compressBound} bytes) */
        @Override
        public int compress(byte[] src, int srcOff, int srcLen, byte[] dst, int dstOff) {
            return context.compressByteArray(dst, dstOff, dst.length - dstOff, src, srcOff, srcLen);
        }

        @Override
        public void close() {
            context.close();
        }
    }
}
