package dev.terway.cni.pod;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Namespaces are compared by identity (device + inode after following links), never by path. The
 * test's own namespace has many names (/proc/self, /proc/<pid>, links to them); plain files stand in for
 * bind mounts, which stat(2) treats alike: the identity of what the path finally names.
 */
class NodeNamespacesTest {

    @TempDir
    Path dir;

    @Test
    void everyNameOfThisProcessNamespaceHasOneIdentity() throws Exception {
        NetnsIdentity self = NetnsIdentity.own().orElseThrow();
        Path byPid = Path.of("/proc/" + ProcessHandle.current().pid() + "/ns/net");
        Path link = Files.createSymbolicLink(dir.resolve("link"), NetnsIdentity.OWN);
        Path linkToLink = Files.createSymbolicLink(dir.resolve("link2"), link);
        Path threadSelf = Path.of("/proc/thread-self/ns/net");
        for (Path p : List.of(NetnsIdentity.OWN, byPid, link, linkToLink, threadSelf)) {
            assertEquals(Optional.of(self), NetnsIdentity.of(p), p.toString());
            assertTrue(self.sameAs(NetnsIdentity.of(p).orElseThrow()), p.toString());
        }
        assertTrue(self.toString().startsWith("net:["), self.toString());
    }

    @Test
    void theOwnNamespaceIsRefusedByAnyOfItsNames() throws Exception {
        NodeNamespaces node = NodeNamespaces.own("the namespace of the test");
        Path link = Files.createSymbolicLink(dir.resolve("node-netns"), NetnsIdentity.OWN);
        for (String p : List.of("/proc/self/ns/net", "/proc/" + ProcessHandle.current().pid() + "/ns/net",
                "/proc/thread-self/ns/net", link.toString())) {
            String problem = node.problem(p).orElseThrow(() -> new AssertionError(p + " accepted"));
            assertTrue(problem.contains("the node's own network namespace (the namespace of the test, net:["),
                    problem);
        }
    }

    @Test
    void aKnownNamespaceIsRefusedThroughLinksAndOtherNamesButNothingElseIs() throws Exception {
        // A plain file stands in for the node's namespace: a hard link is another name of the same inode,
        // as a bind mount is another name of the same nsfs inode.
        Path nodeNs = Files.writeString(dir.resolve("node"), "");
        Path hardLink = Files.createLink(dir.resolve("bind"), nodeNs);
        Path symlink = Files.createSymbolicLink(dir.resolve("sym"), hardLink);
        Path pod = Files.writeString(dir.resolve("pod"), "");
        NodeNamespaces node = NodeNamespaces.fixed(List.of(
                new NodeNamespaces.Known(NetnsIdentity.of(nodeNs).orElseThrow(), "the bridged one")));
        for (Path p : List.of(nodeNs, hardLink, symlink)) {
            assertTrue(node.problem(p.toString()).isPresent(), p + " accepted");
        }
        assertEquals(Optional.empty(), node.problem(pod.toString()));
        assertEquals(Optional.empty(), node.problem(dir.resolve("missing").toString()), "not judged here");
        assertEquals(Optional.empty(), node.problem(""));
        assertEquals(Optional.empty(), node.problem("/a\u0000b"), "an impossible path is not judged here");
        assertEquals(Optional.empty(), NodeNamespaces.NONE.problem(nodeNs.toString()));
    }

    @Test
    void theSourceIsAskedAtEveryCheck() throws Exception {
        Path nodeNs = Files.writeString(dir.resolve("node"), "");
        NetnsIdentity id = NetnsIdentity.of(nodeNs).orElseThrow();
        List<List<NodeNamespaces.Known>> answers = new java.util.ArrayList<>(List.of(List.of(),
                List.of(new NodeNamespaces.Known(id, "recorded later"))));
        NodeNamespaces node = NodeNamespaces.of(() -> answers.size() > 1 ? answers.remove(0) : answers.get(0));
        assertEquals(Optional.empty(), node.problem(nodeNs.toString()));
        assertTrue(node.problem(nodeNs.toString()).orElseThrow().contains("recorded later"));
    }

    @Test
    void distinctFilesHaveDistinctIdentities() throws Exception {
        Path a = Files.writeString(dir.resolve("a"), "");
        Path b = Files.writeString(dir.resolve("b"), "");
        assertNotEquals(NetnsIdentity.of(a), NetnsIdentity.of(b));
        assertEquals(Optional.empty(), NetnsIdentity.of(dir.resolve("missing")));
    }
}
