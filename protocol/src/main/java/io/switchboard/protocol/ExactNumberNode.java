package io.switchboard.protocol;

import com.fasterxml.jackson.core.JsonGenerator;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonToken;
import com.fasterxml.jackson.databind.SerializerProvider;
import com.fasterxml.jackson.databind.node.NumericNode;
import java.io.IOException;
import java.math.BigDecimal;
import java.math.BigInteger;

/**
 * A JSON number kept as the text the client sent, and written back as that text. Clients' {@code data}
 * is relayed, not interpreted: a double would turn {@code 1e999999} into {@code Infinity}, {@code 1E2}
 * into {@code 100.0} and cut {@code 0.1000000000000000000001} to 17 digits. The numeric views parse
 * the text on demand, for the few protocol fields that read a number. Immutable and thread-safe.
 */
final class ExactNumberNode extends NumericNode {
    private static final long serialVersionUID = 1L;
    private static final BigDecimal MIN_INT = BigDecimal.valueOf(Integer.MIN_VALUE);
    private static final BigDecimal MAX_INT = BigDecimal.valueOf(Integer.MAX_VALUE);
    private static final BigDecimal MIN_LONG = BigDecimal.valueOf(Long.MIN_VALUE);
    private static final BigDecimal MAX_LONG = BigDecimal.valueOf(Long.MAX_VALUE);

    private final String text;
    private final boolean integral;

    /** {@code text}: a JSON number as the parser read it; {@code integral} without fraction or exponent. */
    ExactNumberNode(String text, boolean integral) {
        this.text = text;
        this.integral = integral;
    }

    @Override
    public JsonToken asToken() {
        return integral ? JsonToken.VALUE_NUMBER_INT : JsonToken.VALUE_NUMBER_FLOAT;
    }

    @Override
    public JsonParser.NumberType numberType() {
        return integral ? JsonParser.NumberType.BIG_INTEGER : JsonParser.NumberType.BIG_DECIMAL;
    }

    @Override
    public boolean isIntegralNumber() {
        return integral;
    }

    @Override
    public boolean isFloatingPointNumber() {
        return !integral;
    }

    @Override
    public boolean isBigInteger() {
        return integral;
    }

    @Override
    public boolean isBigDecimal() {
        return !integral;
    }

    @Override
    public Number numberValue() {
        return integral ? bigIntegerValue() : decimalValue();
    }

    @Override
    public int intValue() {
        return decimalValue().intValue();
    }

    @Override
    public long longValue() {
        return decimalValue().longValue();
    }

    @Override
    public double doubleValue() {
        return Double.parseDouble(text);
    }

    @Override
    public BigDecimal decimalValue() {
        // Parsing keeps the unscaled digits and the exponent apart: cheap even for 1e999999.
        return new BigDecimal(text);
    }

    @Override
    public BigInteger bigIntegerValue() {
        return integral ? new BigInteger(text) : decimalValue().toBigInteger();
    }

    @Override
    public boolean canConvertToInt() {
        BigDecimal d = decimalOrNull();
        return d != null && d.compareTo(MIN_INT) >= 0 && d.compareTo(MAX_INT) <= 0;
    }

    @Override
    public boolean canConvertToLong() {
        BigDecimal d = decimalOrNull();
        return d != null && d.compareTo(MIN_LONG) >= 0 && d.compareTo(MAX_LONG) <= 0;
    }

    @Override
    public boolean canConvertToExactIntegral() {
        if (integral) {
            return true;
        }
        BigDecimal d = decimalOrNull();
        return d != null && (d.signum() == 0 || d.scale() <= 0 || d.stripTrailingZeros().scale() <= 0);
    }

    /**
     * The value, or null when its exponent does not fit a {@link BigDecimal}'s int scale ({@code 1e333333333333}):
     * JSON allows such numbers, and a field that reads a number refuses them instead of throwing.
     */
    private BigDecimal decimalOrNull() {
        try {
            return decimalValue();
        } catch (NumberFormatException e) {
            return null;
        }
    }

    @Override
    public String asText() {
        return text;
    }

    @Override
    public void serialize(JsonGenerator g, SerializerProvider provider) throws IOException {
        g.writeNumber(text);
    }

    @Override
    public boolean equals(Object o) {
        return o == this || o instanceof ExactNumberNode n && n.text.equals(text);
    }

    @Override
    public int hashCode() {
        return text.hashCode();
    }
}
