package io.switchboard.client;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import javax.xml.parsers.DocumentBuilderFactory;
import org.junit.jupiter.api.Test;
import org.w3c.dom.Document;
import org.w3c.dom.Element;
import org.w3c.dom.Node;

/**
 * What a Maven repository (Central's rules) asks of the client and what it pulls in, the protocol module
 * and the parent POM: name, description, url, license, SCM and developers, and sources and javadoc jars.
 * Read from the POM files, as the build's own model is not on the test class path.
 */
class ClientPublicationTest {
    private static final Path ROOT =
            Path.of(System.getProperty("basedir", System.getProperty("user.dir"))).toAbsolutePath().getParent();

    private static Element pom(String module) throws Exception {
        DocumentBuilderFactory factory = DocumentBuilderFactory.newInstance();
        factory.setFeature("http://apache.org/xml/features/disallow-doctype-decl", true);
        Document doc = factory.newDocumentBuilder().parse(ROOT.resolve(module).resolve("pom.xml").toFile());
        return doc.getDocumentElement();
    }

    /** The text of the child element at {@code path} (names separated by '/'), or "" when missing. */
    private static String text(Element element, String path) {
        Element at = element;
        for (String name : path.split("/")) {
            at = child(at, name);
            if (at == null) {
                return "";
            }
        }
        return at.getTextContent().trim();
    }

    private static Element child(Element parent, String name) {
        for (Node n = parent.getFirstChild(); n != null; n = n.getNextSibling()) {
            if (n instanceof Element e && e.getTagName().equals(name)) {
                return e;
            }
        }
        return null;
    }

    private static List<String> plugins(Element pom) {
        List<String> ids = new ArrayList<>();
        Element plugins = child(child(pom, "build"), "plugins");
        for (Node n = plugins.getFirstChild(); n != null; n = n.getNextSibling()) {
            if (n instanceof Element e) {
                ids.add(text(e, "artifactId"));
            }
        }
        return ids;
    }

    @Test
    void theParentPomCarriesUrlLicenseScmAndDevelopersForEveryPublishedModule() throws Exception {
        Element parent = pom(".");
        assertThat(text(parent, "url")).startsWith("https://");
        assertThat(text(parent, "licenses/license/name")).isNotEmpty();
        assertThat(text(parent, "licenses/license/url")).startsWith("https://");
        assertThat(text(parent, "scm/url")).isEqualTo(text(parent, "url"));
        assertThat(text(parent, "scm/connection")).startsWith("scm:git:");
        assertThat(text(parent, "developers/developer/name")).isNotEmpty();
        // Without these, each module's url and scm would get its artifactId appended: links that lead nowhere.
        assertThat(parent.getAttribute("child.project.url.inherit.append.path")).isEqualTo("false");
        assertThat(child(parent, "scm").getAttribute("child.scm.url.inherit.append.path")).isEqualTo("false");
    }

    @Test
    void theClientAndTheProtocolItNeedsAreNamedDescribedAndShipSourcesAndJavadoc() throws Exception {
        for (String module : List.of("client", "protocol")) {
            Element pom = pom(module);
            assertThat(text(pom, "name")).as(module).startsWith("Switchboard ");
            assertThat(text(pom, "description")).as(module).hasSizeGreaterThan(20);
            assertThat(plugins(pom)).as(module).contains("maven-source-plugin", "maven-javadoc-plugin");
        }
    }
}
