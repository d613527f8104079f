package io.redcompress.connect.config;

/** The format of a TLS trust store or key store file. */
public enum StoreType {
    /** PEM certificates (trust store only). */
    PEM,
    JKS,
    PKCS12;

    @Override
    public String toString() {
        return name().toLowerCase(java.util.Locale.ROOT);
    }
}
