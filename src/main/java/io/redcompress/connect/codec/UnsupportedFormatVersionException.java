package io.redcompress.connect.codec;

/**
 * The value starts with a marker reserved for a future format version ({@code 0xF6}..{@code 0xFF}):
 * it was most likely written by a newer encoder. Upgrade the reader.
 */
public final class UnsupportedFormatVersionException extends ValueDecodingException {

    private static final long serialVersionUID = 1L;

    private final int marker;

    UnsupportedFormatVersionException(int marker) {
        super(String.format("first byte 0x%02X marks a future value-format version; this decoder supports "
                + "only format version 1 (0xF5) - upgrade the reader", marker));
        this.marker = marker;
    }

    /** The first byte of the value (0xF6..0xFF). */
    public int marker() {
        return marker;
    }
}
