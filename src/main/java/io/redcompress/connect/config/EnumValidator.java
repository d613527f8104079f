package io.redcompress.connect.config;

import java.util.Arrays;
import java.util.Locale;
import java.util.stream.Collectors;

import org.apache.kafka.common.config.ConfigDef;
import org.apache.kafka.common.config.ConfigException;

/**
 * Accepts the names of an enum's constants, case-insensitively. Its {@code toString()} lists the
 * choices, which is what the generated config reference and validation errors show operators.
 */
public final class EnumValidator<E extends Enum<E>> implements ConfigDef.Validator {

    private final Class<E> type;

    private EnumValidator(Class<E> type) {
        this.type = type;
    }

    public static <E extends Enum<E>> EnumValidator<E> of(Class<E> type) {
        return new EnumValidator<>(type);
    }

    public static <E extends Enum<E>> E parse(Class<E> type, String key, String value) {
        if (value != null) {
            for (E constant : type.getEnumConstants()) {
                if (constant.name().equalsIgnoreCase(value.trim())) {
                    return constant;
                }
            }
        }
        throw new ConfigException(key, value, "must be one of " + choices(type));
    }

    @Override
    public void ensureValid(String name, Object value) {
        parse(type, name, (String) value);
    }

    public static String choices(Class<? extends Enum<?>> type) {
        return Arrays.stream(type.getEnumConstants())
                .map(c -> c.name().toLowerCase(Locale.ROOT))
                .collect(Collectors.joining(", ", "[", "]"));
    }

    @Override
    public String toString() {
        return choices(type);
    }
}
