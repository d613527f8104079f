package io.redcompress.connect.codec;

import java.util.Objects;

/**
 * The result of {@link ValueEncoder#encodeValue(byte[])}: the encoded bytes plus what the connector's
 * metrics need (bytes in, bytes out, whether compression paid off).
 *
 * <p>{@link #bytes()} is the encoder's output array itself, not a copy; the caller owns it. As for any
 * record with an array component, {@code equals} compares the array by identity.
 *
 * @param bytes          the encoded value (header + payload), ready to be stored
 * @param codec          the codec actually used: the configured one, or {@link Codec#NONE} when the
 *                       value was below the minimum size or did not get smaller
 * @param originalLength length of the original bytes (bytes in)
 * @param dictionaryId   the zstd dictionary the value was compressed with (codec id 5), 0 for none
 */
public record EncodedValue(byte[] bytes, Codec codec, int originalLength, long dictionaryId) {

    public EncodedValue {
        Objects.requireNonNull(bytes, "bytes");
        Objects.requireNonNull(codec, "codec");
    }

    /** A value compressed without a dictionary. */
    public EncodedValue(byte[] bytes, Codec codec, int originalLength) {
        this(bytes, codec, originalLength, 0);
    }

    /** Length of the encoded value (bytes out). */
    public int encodedLength() {
        return bytes.length;
    }

    /** Whether the payload is compressed, i.e. {@link #codec()} is not {@link Codec#NONE}. */
    public boolean compressed() {
        return codec != Codec.NONE;
    }

    /** {@code encodedLength / originalLength}; 1.0 for an empty original. Below 1 means smaller. */
    public double ratio() {
        return originalLength == 0 ? 1.0 : (double) bytes.length / originalLength;
    }

    @Override
    public String toString() {
        return "EncodedValue[codec=" + codec.configName()
                + (dictionaryId != 0 ? ", dictionaryId=" + dictionaryId : "") + ", originalLength=" + originalLength
                + ", encodedLength=" + bytes.length + "]";
    }
}
