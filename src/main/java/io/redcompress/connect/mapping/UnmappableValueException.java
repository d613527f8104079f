package io.redcompress.connect.mapping;

/**
 * Raised while building a key or a value, before the record it belongs to is known;
 * {@link RecordMapper} turns it into an {@link UndecodableRecordException} that names the record.
 */
final class UnmappableValueException extends RuntimeException {

    UnmappableValueException(String reason) {
        super(reason, null, false, false);
    }
}
