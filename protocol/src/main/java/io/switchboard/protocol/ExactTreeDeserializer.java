package io.switchboard.protocol;

import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonToken;
import com.fasterxml.jackson.databind.DeserializationContext;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.deser.std.StdDeserializer;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.NullNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;

/**
 * Builds JSON trees whose numbers keep the text they were sent as ({@link ExactNumberNode}) wherever a
 * standard node would write back something else: every fraction or exponent, integers beyond 18
 * digits, and {@code -0}. Short integers stay plain int and long nodes. Nesting is bounded by the
 * parser's {@code maxNestingDepth}, so the recursion is too. Thread-safe: stateless.
 */
final class ExactTreeDeserializer extends StdDeserializer<JsonNode> {
    private static final long serialVersionUID = 1L;
    /** Integers of up to this many characters fit a long and are written back exactly by a long node. */
    private static final int PLAIN_INTEGER_CHARS = 18;

    ExactTreeDeserializer() {
        super(JsonNode.class);
    }

    @Override
    public JsonNode deserialize(JsonParser p, DeserializationContext ctxt) throws IOException {
        JsonNodeFactory f = ctxt.getNodeFactory();
        if (p.currentToken() == JsonToken.FIELD_NAME) {
            // Called inside an object whose start another deserializer consumed.
            return fields(p, ctxt, f, f.objectNode(), p.currentName());
        }
        return value(p, ctxt, f, p.currentToken());
    }

    @Override
    public JsonNode getNullValue(DeserializationContext ctxt) {
        return NullNode.getInstance();
    }

    private JsonNode value(JsonParser p, DeserializationContext ctxt, JsonNodeFactory f, JsonToken t)
            throws IOException {
        if (t == null) {
            return ctxt.reportInputMismatch(JsonNode.class, "no JSON value");
        }
        switch (t) {
            case START_OBJECT:
                return fields(p, ctxt, f, f.objectNode(), p.nextFieldName());
            case START_ARRAY: {
                ArrayNode array = f.arrayNode();
                for (JsonToken next = p.nextToken(); next != JsonToken.END_ARRAY; next = p.nextToken()) {
                    array.add(value(p, ctxt, f, next));
                }
                return array;
            }
            case VALUE_STRING:
                return f.textNode(p.getText());
            case VALUE_NUMBER_INT:
                return integer(p, f);
            case VALUE_NUMBER_FLOAT:
                return new ExactNumberNode(p.getText(), false);
            case VALUE_TRUE:
                return f.booleanNode(true);
            case VALUE_FALSE:
                return f.booleanNode(false);
            case VALUE_NULL:
                return f.nullNode();
            case VALUE_EMBEDDED_OBJECT:
                return f.pojoNode(p.getEmbeddedObject());
            default:
                return (JsonNode) ctxt.handleUnexpectedToken(JsonNode.class, p);
        }
    }

    private JsonNode fields(JsonParser p, DeserializationContext ctxt, JsonNodeFactory f, ObjectNode object,
                            String first) throws IOException {
        for (String name = first; name != null; name = p.nextFieldName()) {
            object.set(name, value(p, ctxt, f, p.nextToken()));
        }
        return object;
    }

    private static JsonNode integer(JsonParser p, JsonNodeFactory f) throws IOException {
        String text = p.getText();
        if (text.length() > PLAIN_INTEGER_CHARS || text.equals("-0")) {
            return new ExactNumberNode(text, true);
        }
        return p.getNumberType() == JsonParser.NumberType.INT ? f.numberNode(p.getIntValue())
                : f.numberNode(p.getLongValue());
    }
}
