package io.redcompress.connect.codec;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

import com.github.luben.zstd.Zstd;
import com.github.luben.zstd.ZstdCompressCtx;
import io.redcompress.connect.codec.CorruptValueException.Reason;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.lang.management.ManagementFactory;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.zip.CRC32;
import java.util.zip.CRC32C;
import java.util.zip.Deflater;
import java.util.zip.GZIPOutputStream;
import net.jpountz.lz4.LZ4Factory;
import org.junit.jupiter.api.Test;
import org.xerial.snappy.Snappy;

class ValueDecoderTest {

    private static final byte[] JSON = TestPayloads.json1500();

    // ---------------------------------------------------------------- recognition

    @Test
    void isOurFormatLooksAtTheFirstByteOnly() {
        assertThat(ValueDecoder.isOurFormat(null)).isFalse();
        assertThat(ValueDecoder.isOurFormat(new byte[0])).isFalse();
        for (int b = 0; b <= 0xFF; b++) {
            assertThat(ValueDecoder.isOurFormat(new byte[] {(byte) b})).as("0x%02X", b).isEqualTo(b >= 0xF5);
        }
        assertThat(ValueDecoder.isOurFormat(ValueEncoder.defaults().encode(JSON))).isTrue();
    }

    @Test
    void everyNonMarkerFirstByteIsNotOurs() {
        for (int b = 0; b < 0xF5; b++) {
            byte[] value = {(byte) b, 0x00, 0x00};
            assertThatThrownBy(() -> ValueDecoder.decode(value)).as("0x%02X", b)
                    .isInstanceOf(NotOurFormatException.class)
                    .hasMessageContaining(String.format("first byte 0x%02X", b));
        }
    }

    @Test
    void plainTextAndJsonAreNotOurs() {
        String[] texts = {"{\"a\":1}", "[1,2,3]", "hello", "\"quoted\"", "42", " leading space", "null",
            "\u20acuro", "\u65e5\u672c\u8a9e", "\u00e9t\u00e9", "\ud83d\ude00 emoji", "\u0000nul"};
        for (String text : texts) {
            byte[] value = text.getBytes(StandardCharsets.UTF_8);
            assertThatThrownBy(() -> ValueDecoder.decode(value)).as(text).isInstanceOf(NotOurFormatException.class);
        }
        assertThatThrownBy(() -> ValueDecoder.decode(TestPayloads.heartbeat190()))
                .isInstanceOf(NotOurFormatException.class);
    }

    @Test
    void futureVersionsAreUnsupported() {
        byte[] valid = ValueEncoder.defaults().encode(JSON);
        for (int marker = 0xF6; marker <= 0xFF; marker++) {
            byte[] value = valid.clone();
            value[0] = (byte) marker;
            UnsupportedFormatVersionException e = catchThrowableOfType(UnsupportedFormatVersionException.class,
                    () -> ValueDecoder.decode(value));
            assertThat(e.marker()).isEqualTo(marker);
            assertThat(e).hasMessageContaining(String.format("0x%02X", marker)).hasMessageContaining("upgrade");
        }
        assertThatThrownBy(() -> ValueDecoder.decode(new byte[] {(byte) 0xFF}))
                .isInstanceOf(UnsupportedFormatVersionException.class);
    }

    @Test
    void rawCodecOutputWithoutOurHeaderIsRejectedWithATypedError() throws IOException {
        for (byte[] original : new byte[][] {JSON, TestPayloads.heartbeat190(), TestPayloads.jsonLines(5000)}) {
            byte[][] raws = {
                LZ4Factory.fastestInstance().fastCompressor().compress(original),
                Snappy.compress(original),
                Zstd.compress(original),
                gzip(original),
            };
            for (byte[] raw : raws) {
                assertThatThrownBy(() -> ValueDecoder.decode(raw)).isInstanceOf(ValueDecodingException.class);
            }
        }
        // a raw LZ4 block whose token happens to be 0xF5 looks like our marker; still a typed error
        byte[] lz4 = LZ4Factory.fastestInstance().fastCompressor().compress(JSON);
        lz4[0] = (byte) 0xF5;
        assertThatThrownBy(() -> ValueDecoder.decode(lz4)).isInstanceOf(ValueDecodingException.class);
    }

    // ---------------------------------------------------------------- header

    @Test
    void headerIsParsedForTooling() {
        byte[] encoded = ValueEncoder.builder().codec(Codec.ZSTD).build().encode(JSON);
        ValueHeader header = ValueDecoder.header(encoded);
        CRC32C crc = new CRC32C();
        crc.update(JSON);
        assertThat(header.formatVersion()).isEqualTo(1);
        assertThat(header.codec()).isEqualTo(Codec.ZSTD);
        assertThat(header.flags()).isEqualTo(1);
        assertThat(header.originalLength()).isEqualTo(JSON.length);
        assertThat(header.checksumPresent()).isTrue();
        assertThat(header.crc32c()).isEqualTo((int) crc.getValue());
        assertThat(header.payloadOffset()).isEqualTo(8).isEqualTo(header.headerLength());
        assertThat(header.payloadLength()).isEqualTo(encoded.length - 8);
        assertThat(header.toString()).contains("codec=zstd", "crc32c=0x");
    }

    @Test
    void truncatedHeaders() {
        assertThatThrownBy(() -> ValueDecoder.decode(new byte[0]))
                .isInstanceOf(TruncatedValueException.class).hasMessageContaining("empty");
        assertThatThrownBy(() -> ValueDecoder.decode(bytes(0xF5)))
                .isInstanceOf(TruncatedValueException.class).hasMessageContaining("no descriptor");
        assertThatThrownBy(() -> ValueDecoder.decode(bytes(0xF5, 0x10)))
                .isInstanceOf(TruncatedValueException.class).hasMessageContaining("varint");
        assertThatThrownBy(() -> ValueDecoder.decode(bytes(0xF5, 0x10, 0x80, 0x80)))
                .isInstanceOf(TruncatedValueException.class).hasMessageContaining("varint");
        assertThatThrownBy(() -> ValueDecoder.decode(bytes(0xF5, 0x11, 0x05, 0x01, 0x02)))
                .isInstanceOf(TruncatedValueException.class).hasMessageContaining("CRC32C field: 2 of 4");
    }

    @Test
    void badDescriptors() {
        for (int codecId = 6; codecId <= 15; codecId++) {
            byte[] value = bytes(0xF5, codecId << 4, 0x00);
            assertThat(corrupt(value).reason()).isEqualTo(Reason.BAD_HEADER);
            assertThat(corrupt(value)).hasMessageContaining("unknown codec id " + codecId);
        }
        for (int flag : new int[] {0x2, 0x4, 0x8, 0xE, 0xF}) {
            byte[] value = bytes(0xF5, flag, 0x00);
            assertThat(corrupt(value).reason()).isEqualTo(Reason.BAD_HEADER);
            assertThat(corrupt(value)).hasMessageContaining("reserved flag bits");
        }
    }

    @Test
    void varintRules() {
        // smallest and largest lengths parse
        assertThat(ValueDecoder.header(bytes(0xF5, 0x00, 0x00)).originalLength()).isZero();
        assertThat(ValueDecoder.header(bytes(0xF5, 0x00, 0xFF, 0xFF, 0xFF, 0xFF, 0x07)).originalLength())
                .isEqualTo(Integer.MAX_VALUE);
        assertThat(ValueDecoder.header(bytes(0xF5, 0x00, 0x80, 0x01)).originalLength()).isEqualTo(128);
        // overlong (not minimal)
        assertThat(corrupt(bytes(0xF5, 0x00, 0x80, 0x00))).hasMessageContaining("overlong");
        assertThat(corrupt(bytes(0xF5, 0x00, 0x85, 0x80, 0x00))).hasMessageContaining("overlong");
        // more than five bytes
        assertThat(corrupt(bytes(0xF5, 0x00, 0x80, 0x80, 0x80, 0x80, 0x80, 0x01)))
                .hasMessageContaining("longer than 5 bytes");
        // above 2^31-1
        assertThat(corrupt(bytes(0xF5, 0x00, 0x80, 0x80, 0x80, 0x80, 0x08)))
                .hasMessageContaining("2147483648");
        assertThat(corrupt(bytes(0xF5, 0x00, 0xFF, 0xFF, 0xFF, 0xFF, 0x7F)).reason()).isEqualTo(Reason.BAD_HEADER);
    }

    // ---------------------------------------------------------------- length cap

    @Test
    void declaredLengthAboveTheCapIsRejectedBeforeAllocating() {
        byte[] bomb = bytes(0xF5, 0x10, 0xFF, 0xFF, 0xFF, 0xFF, 0x07, 0x00); // lz4, declares 2^31-1
        long before = allocatedBytes();
        OriginalLengthLimitExceededException e = catchThrowableOfType(OriginalLengthLimitExceededException.class,
                () -> ValueDecoder.decode(bomb));
        long allocated = allocatedBytes() - before;
        assertThat(e.declaredLength()).isEqualTo(Integer.MAX_VALUE);
        assertThat(e.limit()).isEqualTo(ValueDecoder.DEFAULT_MAX_ORIGINAL_LENGTH);
        assertThat(e).hasMessageContaining("declared original length 2147483647 exceeds the decoder limit of 67108864");
        if (before >= 0) {
            assertThat(allocated).as("bytes allocated while rejecting").isLessThan(1 << 20);
        }
        // even with the checksum flag set but the checksum missing, the cap is reported first
        assertThatThrownBy(() -> ValueDecoder.decode(bytes(0xF5, 0x31, 0xFF, 0xFF, 0xFF, 0xFF, 0x07)))
                .isInstanceOf(OriginalLengthLimitExceededException.class);
    }

    @Test
    void theCapIsConfigurable() {
        ValueDecoder small = ValueDecoder.builder().maxOriginalLength(JSON.length).build();
        assertThat(small.maxOriginalLength()).isEqualTo(JSON.length);
        byte[] exact = ValueEncoder.defaults().encode(JSON);
        assertThat(small.decodeValue(exact)).isEqualTo(JSON);
        byte[] longer = ValueEncoder.defaults().encode(Arrays.copyOf(JSON, JSON.length + 1));
        assertThatThrownBy(() -> small.decodeValue(longer)).isInstanceOf(OriginalLengthLimitExceededException.class);
        assertThatThrownBy(() -> ValueDecoder.builder().maxOriginalLength(-1))
                .isInstanceOf(IllegalArgumentException.class);
        // no cap: a forged 2 GiB declaration on a 1-byte lz4 payload is still refused before allocating
        ValueDecoder uncapped = ValueDecoder.builder().maxOriginalLength(Integer.MAX_VALUE).build();
        assertThat(catchThrowableOfType(CorruptValueException.class,
                () -> uncapped.decodeValue(bytes(0xF5, 0x10, 0xFF, 0xFF, 0xFF, 0xFF, 0x07, 0x00))))
                .hasMessageContaining("impossible for a 1-byte lz4 payload");
        // gzip: the buffer is sized by what 10 bytes of deflate data can hold, and the stream is too short
        byte[] gzipBomb = bytes(0xF5, 0x40, 0xFF, 0xFF, 0xFF, 0xFF, 0x07,
                0x1F, 0x8B, 8, 0, 0, 0, 0, 0, 0, 0xFF, 0x03, 0x00, 0, 0, 0, 0, 0, 0, 0, 0);
        long before = allocatedBytes();
        assertThat(catchThrowableOfType(CorruptValueException.class, () -> uncapped.decodeValue(gzipBomb)))
                .hasMessage("declared original length 2147483647 but gzip payload decompressed to 0 bytes");
        if (before >= 0) {
            assertThat(allocatedBytes() - before).isLessThan(1 << 20);
        }
    }

    // ---------------------------------------------------------------- payload checks

    @Test
    void checksumMismatchNamesBothValues() {
        byte[] value = ValueEncoder.defaults().encode(JSON);
        value[4] ^= 0x01; // first CRC byte (header: F5 11 varint(2 bytes) crc(4))
        CorruptValueException e = corrupt(value);
        assertThat(e.reason()).isEqualTo(Reason.CHECKSUM_MISMATCH);
        assertThat(e.getMessage()).matches("CRC32C mismatch: header 0x[0-9A-F]{8}, computed 0x[0-9A-F]{8}.*");
    }

    @Test
    void nonePayloadLengthMustMatch() {
        byte[] value = ValueEncoder.builder().codec(Codec.NONE).checksum(false).build().encode(JSON);
        assertThatThrownBy(() -> ValueDecoder.decode(Arrays.copyOf(value, value.length - 1)))
                .isInstanceOf(TruncatedValueException.class)
                .hasMessageContaining("declared original length 1532 but the uncompressed (none) payload has only 1531 bytes");
        CorruptValueException e = corrupt(Arrays.copyOf(value, value.length + 1));
        assertThat(e.reason()).isEqualTo(Reason.TRAILING_BYTES);
    }

    @Test
    void lz4LengthMismatch() {
        byte[] payload = LZ4Factory.fastestInstance().fastCompressor().compress(Arrays.copyOf(JSON, 1000));
        CorruptValueException shorter = corrupt(value(Codec.LZ4, 2000, payload));
        assertThat(shorter.reason()).isEqualTo(Reason.LENGTH_MISMATCH);
        assertThat(shorter).hasMessage("declared original length 2000 but lz4 payload decompressed to 1000 bytes");
        CorruptValueException longer = corrupt(value(Codec.LZ4, 999, payload));
        assertThat(longer).hasMessageContaining("decompresses to more than the declared 999 bytes");
        CorruptValueException impossible = corrupt(value(Codec.LZ4, 1_048_576, payload));
        assertThat(impossible.reason()).isEqualTo(Reason.LENGTH_MISMATCH);
        assertThat(corrupt(value(Codec.LZ4, 1000, payload))).isNull();
    }

    @Test
    void snappyLengthMismatch() throws IOException {
        byte[] payload = Snappy.compress(JSON);
        CorruptValueException e = corrupt(value(Codec.SNAPPY, JSON.length + 1, payload));
        assertThat(e.reason()).isEqualTo(Reason.LENGTH_MISMATCH);
        assertThat(e).hasMessage("declared original length 1533 but the snappy payload declares 1532 bytes");
        assertThat(corrupt(value(Codec.SNAPPY, JSON.length, payload))).isNull();
        byte[] cut = Arrays.copyOf(payload, payload.length - 1);
        assertThat(corrupt(value(Codec.SNAPPY, JSON.length, cut))).hasMessageContaining("malformed or truncated");
    }

    @Test
    void zstdChecks() {
        byte[] frame = Zstd.compress(JSON, 3);
        assertThat(corrupt(value(Codec.ZSTD, JSON.length, frame))).isNull();
        assertThat(corrupt(value(Codec.ZSTD, JSON.length - 1, frame)))
                .hasMessage("declared original length 1531 but the zstd frame header declares 1532 bytes");

        // frames without a content size are accepted; the length is still enforced both ways
        byte[] noSize;
        try (ZstdCompressCtx ctx = new ZstdCompressCtx()) {
            noSize = ctx.setLevel(3).setContentSize(false).setChecksum(true).compress(JSON);
        }
        assertThat(Zstd.getFrameContentSize(noSize, 0, noSize.length)).isEqualTo(-1);
        assertThat(ValueDecoder.decode(value(Codec.ZSTD, JSON.length, noSize))).isEqualTo(JSON);
        assertThat(corrupt(value(Codec.ZSTD, JSON.length - 1, noSize)))
                .hasMessageContaining("decompresses to more than the declared original length 1531");
        assertThat(corrupt(value(Codec.ZSTD, JSON.length + 1, noSize)))
                .hasMessage("declared original length 1533 but zstd payload decompressed to 1532 bytes");

        // exactly one frame
        byte[] two = concat(frame, Zstd.compress(new byte[0]));
        assertThat(corrupt(value(Codec.ZSTD, JSON.length, two)).reason()).isEqualTo(Reason.TRAILING_BYTES);
        // a skippable frame is not a standard frame
        byte[] skippable = bytes(0x50, 0x2A, 0x4D, 0x18, 0, 0, 0, 0);
        assertThat(corrupt(value(Codec.ZSTD, 0, skippable))).hasMessageContaining("magic");
        // cut short
        assertThatThrownBy(() -> ValueDecoder.decode(value(Codec.ZSTD, JSON.length, Arrays.copyOf(frame, 20))))
                .isInstanceOf(TruncatedValueException.class);
        assertThatThrownBy(() -> ValueDecoder.decode(value(Codec.ZSTD, JSON.length, Arrays.copyOf(frame, 2))))
                .isInstanceOf(TruncatedValueException.class);
    }

    @Test
    void gzipAcceptsMembersFromOtherWriters() throws IOException {
        // java.util.zip's writer
        assertThat(ValueDecoder.decode(value(Codec.GZIP, JSON.length, gzip(JSON)))).isEqualTo(JSON);
        // a header with every optional field, as gzip(1) and friends may write
        byte[] member = gzipWithAllHeaderFields(JSON, true);
        assertThat(ValueDecoder.decode(value(Codec.GZIP, JSON.length, member))).isEqualTo(JSON);
        byte[] badHeaderCrc = gzipWithAllHeaderFields(JSON, false);
        assertThat(corrupt(value(Codec.GZIP, JSON.length, badHeaderCrc)).reason()).isEqualTo(Reason.CHECKSUM_MISMATCH);
    }

    @Test
    void aGzipMemberCutInsideAnOptionalHeaderFieldIsTruncatedNamingTheField() {
        // 10-byte header, XLEN at 10, 6 bytes of FEXTRA, FNAME at 18, FCOMMENT at 29, FHCRC at 47, deflate from 49
        byte[] member = gzipWithAllHeaderFields(JSON, true);
        Map<Integer, String> cuts = new LinkedHashMap<>();
        cuts.put(11, "gzip member ends inside its FEXTRA length (1 of 2 bytes present)");
        cuts.put(12, "gzip member ends inside its FEXTRA field (0 of 6 bytes present)");
        cuts.put(15, "gzip member ends inside its FEXTRA field (3 of 6 bytes present)");
        cuts.put(18, "gzip member ends inside its zero-terminated FNAME field");
        cuts.put(28, "gzip member ends inside its zero-terminated FNAME field");
        cuts.put(40, "gzip member ends inside its zero-terminated FCOMMENT field");
        cuts.put(47, "gzip member ends inside its FHCRC (0 of 2 bytes present)");
        cuts.put(48, "gzip member ends inside its FHCRC (1 of 2 bytes present)");
        cuts.forEach((length, message) -> assertThatThrownBy(
                () -> ValueDecoder.decode(value(Codec.GZIP, JSON.length, Arrays.copyOf(member, length))))
                .as("cut at %d", length).isInstanceOf(TruncatedValueException.class).hasMessage(message));
    }

    @Test
    void aShortGzipPayloadIsCheckedAsFarAsItGoes() {
        assertThat(corrupt(value(Codec.GZIP, 10, bytes(0x1E)))).hasMessage("gzip payload does not start with the gzip magic 1F 8B");
        assertThat(corrupt(value(Codec.GZIP, 10, bytes(0x1F, 0x8C)))).hasMessage("gzip payload does not start with the gzip magic 1F 8B");
        assertThat(corrupt(value(Codec.GZIP, 10, bytes(0x1F, 0x8B, 7)))).hasMessage("gzip compression method 7 is not 8 (deflate)");
        assertThat(corrupt(value(Codec.GZIP, 10, bytes(0x1F, 0x8B, 8, 0x20)))).hasMessage("gzip header sets reserved flag bits 0x20");
        assertThatThrownBy(() -> ValueDecoder.decode(value(Codec.GZIP, 10, bytes(0x1F, 0x8B, 8, 0))))
                .isInstanceOf(TruncatedValueException.class).hasMessage("gzip member ends inside its header (4 of 10 bytes present)");
    }

    @Test
    void gzipChecks() throws IOException {
        byte[] member = gzip(JSON);
        assertThat(corrupt(value(Codec.GZIP, JSON.length - 1, member)))
                .hasMessage("gzip member inflates to more than the declared original length 1531");
        assertThat(corrupt(value(Codec.GZIP, JSON.length + 1, member)))
                .hasMessage("declared original length 1533 but gzip payload decompressed to 1532 bytes");
        assertThat(corrupt(value(Codec.GZIP, JSON.length, concat(member, gzip(new byte[0])))).reason())
                .isEqualTo(Reason.TRAILING_BYTES);

        byte[] badTrailerCrc = member.clone();
        badTrailerCrc[badTrailerCrc.length - 8] ^= 1;
        assertThat(corrupt(value(Codec.GZIP, JSON.length, badTrailerCrc))).hasMessageStartingWith("gzip CRC32 mismatch");

        byte[] badIsize = member.clone();
        badIsize[badIsize.length - 1] ^= 1;
        assertThat(corrupt(value(Codec.GZIP, JSON.length, badIsize))).hasMessageContaining("ISIZE");

        byte[] notGzip = member.clone();
        notGzip[0] = 0x1E;
        assertThat(corrupt(value(Codec.GZIP, JSON.length, notGzip))).hasMessageContaining("gzip magic");

        byte[] reserved = member.clone();
        reserved[3] = (byte) 0x20;
        assertThat(corrupt(value(Codec.GZIP, JSON.length, reserved))).hasMessageContaining("reserved flag");

        assertThatThrownBy(() -> ValueDecoder.decode(value(Codec.GZIP, JSON.length, Arrays.copyOf(member, member.length - 3))))
                .isInstanceOf(TruncatedValueException.class).hasMessageContaining("trailer");
        assertThatThrownBy(() -> ValueDecoder.decode(value(Codec.GZIP, JSON.length, Arrays.copyOf(member, 40))))
                .isInstanceOf(TruncatedValueException.class).hasMessageContaining("deflate stream");
        assertThatThrownBy(() -> ValueDecoder.decode(value(Codec.GZIP, JSON.length, Arrays.copyOf(member, 5))))
                .isInstanceOf(TruncatedValueException.class).hasMessageContaining("header");
    }

    @Test
    void codecFailuresKeepTheLibraryExceptionAsCause() {
        byte[] garbage = TestPayloads.random(300, 5);
        CorruptValueException e = corrupt(value(Codec.LZ4, 1000, garbage));
        assertThat(e.reason()).isEqualTo(Reason.CODEC_FAILURE);
        assertThat(e.getCause()).isNotNull();
        assertThat(e.getCause().getClass().getName()).startsWith("net.jpountz.lz4");
    }

    // ---------------------------------------------------------------- helpers

    /** Builds a value by hand: header (no checksum) + the given payload. */
    static byte[] value(Codec codec, int originalLength, byte[] payload) {
        byte[] out = new byte[ValueFormat.headerLength(originalLength, false) + payload.length];
        int p = ValueFormat.writeHeader(out, 0, codec, false, originalLength, 0);
        System.arraycopy(payload, 0, out, p, payload.length);
        return out;
    }

    /** The CorruptValueException decoding throws, or null if it decodes. Fails on other exceptions. */
    static CorruptValueException corrupt(byte[] value) {
        try {
            ValueDecoder.decode(value);
            return null;
        } catch (CorruptValueException e) {
            return e;
        }
    }

    static byte[] bytes(int... values) {
        byte[] out = new byte[values.length];
        for (int i = 0; i < values.length; i++) {
            out[i] = (byte) values[i];
        }
        return out;
    }

    static byte[] concat(byte[] a, byte[] b) {
        byte[] out = Arrays.copyOf(a, a.length + b.length);
        System.arraycopy(b, 0, out, a.length, b.length);
        return out;
    }

    static byte[] gzip(byte[] data) throws IOException {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        try (GZIPOutputStream out = new GZIPOutputStream(bytes)) {
            out.write(data);
        }
        return bytes.toByteArray();
    }

    /** A gzip member with FEXTRA, FNAME, FCOMMENT and FHCRC set, MTIME and OS filled in. */
    static byte[] gzipWithAllHeaderFields(byte[] data, boolean correctHeaderCrc) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        out.write(0x1F);
        out.write(0x8B);
        out.write(8);
        out.write(0x02 | 0x04 | 0x08 | 0x10);
        out.writeBytes(bytes(0x80, 0x5E, 0x66, 0x66)); // MTIME
        out.write(0);
        out.write(3); // Unix
        out.writeBytes(bytes(6, 0, 'R', 'C', 2, 0, 1, 2)); // XLEN=6, one subfield
        out.writeBytes("order.json\0".getBytes(StandardCharsets.ISO_8859_1));
        out.writeBytes("written by a test\0".getBytes(StandardCharsets.ISO_8859_1));
        CRC32 headerCrc = new CRC32();
        headerCrc.update(out.toByteArray());
        int crc16 = (int) headerCrc.getValue() & 0xFFFF;
        if (!correctHeaderCrc) {
            crc16 ^= 0x0100;
        }
        out.write(crc16 & 0xFF);
        out.write(crc16 >>> 8);
        Deflater deflater = new Deflater(6, true);
        try {
            deflater.setInput(data);
            deflater.finish();
            byte[] buf = new byte[data.length + 64];
            while (!deflater.finished()) {
                int n = deflater.deflate(buf);
                out.write(buf, 0, n);
            }
        } finally {
            deflater.end();
        }
        CRC32 crc = new CRC32();
        crc.update(data);
        int c = (int) crc.getValue();
        out.writeBytes(bytes(c, c >>> 8, c >>> 16, c >>> 24));
        int n = data.length;
        out.writeBytes(bytes(n, n >>> 8, n >>> 16, n >>> 24));
        return out.toByteArray();
    }

    /** Bytes allocated so far by this thread, or -1 if the JVM cannot tell. */
    private static long allocatedBytes() {
        java.lang.management.ThreadMXBean bean = ManagementFactory.getThreadMXBean();
        if (bean instanceof com.sun.management.ThreadMXBean) {
            com.sun.management.ThreadMXBean sun = (com.sun.management.ThreadMXBean) bean;
            if (sun.isThreadAllocatedMemorySupported() && sun.isThreadAllocatedMemoryEnabled()) {
                return sun.getThreadAllocatedBytes(Thread.currentThread().getId());
            }
        }
        return -1;
    }
}
