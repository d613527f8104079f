package io.redcompress.connect.config;

import org.apache.kafka.common.config.ConfigDef;
import org.apache.kafka.common.config.ConfigException;

import io.redcompress.connect.codec.DictionaryIds;

/**
 * What {@code compression.dictionary} asks for: no dictionary, dictionaries trained per topic by each task
 * ({@code auto}), or one dictionary already stored in Redis, named by its id (pinned).
 *
 * @param kind         none, auto or pinned
 * @param pinnedId     the dictionary id when pinned, else 0
 */
public record DictionaryMode(Kind kind, long pinnedId) {

    /** The three kinds of dictionary mode. */
    public enum Kind { NONE, AUTO, PINNED }

    public static final DictionaryMode NONE = new DictionaryMode(Kind.NONE, 0);
    public static final DictionaryMode AUTO = new DictionaryMode(Kind.AUTO, 0);

    /** Accepts 'none', 'auto' or a dictionary id from 1 to 2^32-1; the message names the key and the choices. */
    public static final ConfigDef.Validator VALIDATOR = new ConfigDef.Validator() {
        @Override
        public void ensureValid(String name, Object value) {
            try {
                parse((String) value);
            } catch (IllegalArgumentException e) {
                throw new ConfigException(name, value, e.getMessage());
            }
        }

        @Override
        public String toString() {
            return "none, auto, or a dictionary id (" + DictionaryIds.MIN_ID + ".." + DictionaryIds.MAX_ID
                    + " for ids this connector derives)";
        }
    };

    /**
     * Parses a setting of compression.dictionary.
     *
     * @throws IllegalArgumentException if it is none of the three forms
     */
    public static DictionaryMode parse(String value) {
        String v = value == null ? "" : value.trim();
        if (v.equalsIgnoreCase("none")) {
            return NONE;
        }
        if (v.equalsIgnoreCase("auto")) {
            return AUTO;
        }
        long id;
        try {
            id = Long.parseLong(v);
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException("expected 'none', 'auto' or the numeric id of a dictionary stored in Redis");
        }
        if (id < 1 || id > 0xFFFF_FFFFL) {
            throw new IllegalArgumentException("a dictionary id is from 1 to 4294967295");
        }
        return new DictionaryMode(Kind.PINNED, id);
    }

    public boolean enabled() {
        return kind != Kind.NONE;
    }

    @Override
    public String toString() {
        return kind == Kind.PINNED ? Long.toString(pinnedId) : kind.name().toLowerCase(java.util.Locale.ROOT);
    }
}
