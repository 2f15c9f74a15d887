/*
 * terway_netns_udp.c: the native half of dev.terway.jni.NetnsUdpSocket and NetnsArpSocket.
 *
 * Opens an IPv4 UDP socket, an IPv6 UDP socket on an interface's link-local address (DHCPv6), or an
 * AF_PACKET socket for one EtherType (ARP), inside another network
 * namespace: the calling thread enters the namespace with setns(), creates and binds the socket, and
 * always returns to its own namespace. A socket belongs to the namespace it was created in for its
 * whole life, so sending, receiving and closing need no namespace switching and may run on any thread.
 *
 * Every failure becomes a Java exception carrying the step, the object and strerror(errno).
 * The Java side validates arguments first; this file still checks the bounds it relies on.
 */
#define _GNU_SOURCE
#include <jni.h>

#include <errno.h>
#include <fcntl.h>
#include <ifaddrs.h>
#include <limits.h>
#include <linux/if_packet.h>
#include <net/if.h>
#include <netinet/in.h>
#include <poll.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include "dev_terway_jni_NetnsPacketNative.h"
#include "dev_terway_jni_NetnsUdpNative.h"

#define NATIVE_SOCKET_EXCEPTION "dev/terway/jni/NativeSocketException"
#define SWITCH_BACK_ERROR "dev/terway/jni/NetnsSwitchBackError"

/* Datagrams up to this size are staged on the stack; DHCP messages are well below it. */
#define STACK_BUFFER 2048

/* A failed step, kept until the thread is back in its own namespace and it is time to throw. */
struct failure {
    const char *operation; /* e.g. "setns into" */
    jstring object;        /* what it was done to, worded by the Java side */
    int err;               /* errno */
    const char *hint;      /* likely cause for well-known errno values, or NULL */
};

static jstring new_string(JNIEnv *env, const char *text)
{
    return text == NULL ? NULL : (*env)->NewStringUTF(env, text);
}

/* Builds (does not throw) a NativeSocketException; NULL with an exception pending if even that fails. */
static jthrowable socket_exception(JNIEnv *env, const struct failure *f)
{
    char buf[256];
    /* GNU strerror_r: returns a pointer to the text, which may or may not be buf. */
    const char *text = strerror_r(f->err, buf, sizeof buf);
    jclass cls = (*env)->FindClass(env, NATIVE_SOCKET_EXCEPTION);
    if (cls == NULL) {
        return NULL;
    }
    jmethodID ctor = (*env)->GetMethodID(env, cls, "<init>",
            "(Ljava/lang/String;Ljava/lang/String;ILjava/lang/String;Ljava/lang/String;)V");
    if (ctor == NULL) {
        return NULL;
    }
    jstring operation = new_string(env, f->operation);
    jstring errno_text = new_string(env, text);
    jstring hint = new_string(env, f->hint);
    if ((*env)->ExceptionCheck(env)) {
        return NULL;
    }
    return (jthrowable) (*env)->NewObject(env, cls, ctor, operation, f->object, (jint) f->err, errno_text, hint);
}

static void throw_failure(JNIEnv *env, const struct failure *f)
{
    jthrowable e = socket_exception(env, f);
    if (e != NULL) {
        (*env)->Throw(env, e);
    }
}

static void throw_simple(JNIEnv *env, const char *operation, jstring object, int err)
{
    struct failure f = { operation, object, err, NULL };
    throw_failure(env, &f);
}

static void throw_illegal_argument(JNIEnv *env, const char *message)
{
    jclass cls = (*env)->FindClass(env, "java/lang/IllegalArgumentException");
    if (cls != NULL) {
        (*env)->ThrowNew(env, cls, message);
    }
}

/* The thread could not return to its own namespace: throw NetnsSwitchBackError (with the earlier failure as cause). */
static void throw_switch_back(JNIEnv *env, jstring netns_text, int err, const struct failure *earlier)
{
    char buf[256];
    const char *text = strerror_r(err, buf, sizeof buf);
    jthrowable cause = NULL;
    if (earlier != NULL) {
        cause = socket_exception(env, earlier);
        (*env)->ExceptionClear(env); /* losing the cause is better than losing the Error */
    }
    jclass cls = (*env)->FindClass(env, SWITCH_BACK_ERROR);
    if (cls == NULL) {
        return;
    }
    jmethodID ctor = (*env)->GetMethodID(env, cls, "<init>",
            "(Ljava/lang/String;ILjava/lang/String;Ljava/lang/Throwable;)V");
    jstring errno_text = new_string(env, text);
    if (ctor == NULL || errno_text == NULL) {
        return;
    }
    jthrowable e = (jthrowable) (*env)->NewObject(env, cls, ctor, netns_text, (jint) err, errno_text, cause);
    if (e != NULL) {
        (*env)->Throw(env, e);
    }
}

/*
 * Copies a NUL-terminated byte[] from Java into dst. Returns 0, or -1 with IllegalArgumentException
 * pending when it does not fit or lacks the terminating NUL.
 */
static int copy_c_string(JNIEnv *env, jbyteArray src, char *dst, size_t size, const char *what)
{
    jsize len = (*env)->GetArrayLength(env, src);
    if (len < 1 || (size_t) len > size) {
        char message[128];
        snprintf(message, sizeof message, "%s must be 1..%zu bytes including the NUL, got %d", what, size, (int) len);
        throw_illegal_argument(env, message);
        return -1;
    }
    (*env)->GetByteArrayRegion(env, src, 0, len, (jbyte *) dst);
    if (dst[len - 1] != '\0' || strlen(dst) != (size_t) len - 1) {
        char message[128];
        snprintf(message, sizeof message, "%s must end in its only NUL byte", what);
        throw_illegal_argument(env, message);
        return -1;
    }
    return 0;
}

/* The calling thread's own network namespace. /proc/thread-self needs Linux 3.17; fall back to the tid path. */
static int open_own_netns(void)
{
    int fd = open("/proc/thread-self/ns/net", O_RDONLY | O_CLOEXEC);
    if (fd < 0 && errno == ENOENT) {
        char path[64];
        snprintf(path, sizeof path, "/proc/self/task/%ld/ns/net", (long) syscall(SYS_gettid));
        fd = open(path, O_RDONLY | O_CLOEXEC);
    }
    return fd;
}

static const char *setns_hint(int err)
{
    switch (err) {
    case EINVAL:
        return "not a network namespace";
    case EPERM:
        return "entering a network namespace needs CAP_SYS_ADMIN";
    default:
        return NULL;
    }
}

/*
 * In the target namespace: create the socket and set it up. Returns the descriptor, or -1 with *f
 * describing the failed step (and nothing left open).
 */
static int create_bound_socket(const char *ifname, int port, jstring netns_text, jstring device_text,
                               jstring socket_text, struct failure *f)
{
    int fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    if (fd < 0) {
        *f = (struct failure) { "create a UDP socket in", netns_text, errno, NULL };
        return -1;
    }
    int one = 1;
    if (setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one) != 0) {
        *f = (struct failure) { "set SO_REUSEADDR on", socket_text, errno, NULL };
    } else if (setsockopt(fd, SOL_SOCKET, SO_BROADCAST, &one, sizeof one) != 0) {
        *f = (struct failure) { "set SO_BROADCAST on", socket_text, errno, NULL };
    } else if (setsockopt(fd, SOL_SOCKET, SO_BINDTODEVICE, ifname, (socklen_t) strlen(ifname) + 1) != 0) {
        int err = errno;
        *f = (struct failure) { "bind to device", device_text, err,
                                err == EPERM ? "SO_BINDTODEVICE needs CAP_NET_RAW" : NULL };
    } else {
        struct sockaddr_in any = { 0 };
        any.sin_family = AF_INET;
        any.sin_port = htons((uint16_t) port);
        any.sin_addr.s_addr = htonl(INADDR_ANY);
        if (bind(fd, (struct sockaddr *) &any, sizeof any) == 0) {
            return fd;
        }
        *f = (struct failure) { "bind", socket_text, errno, NULL };
    }
    close(fd);
    return -1;
}

/*
 * What a socket is created with inside the target namespace: create() runs there, must not call JNI,
 * and returns the descriptor, or -1 with *f describing the failed step (and nothing left open).
 */
struct creation {
    int (*create)(void *ctx, struct failure *f);
    void *ctx;
};

/*
 * Enters the namespace at path on this thread, runs the creation there and always switches back.
 * Returns the descriptor, or -1 with a Java exception pending: NativeSocketException for a failed
 * step, NetnsSwitchBackError when the thread could not return to its own namespace.
 */
static int create_in_netns(JNIEnv *env, const char *path, jstring netns_text, const struct creation *c)
{
    /* Everything the thread must not leave behind: its own namespace fd, the target's fd. */
    int own = open_own_netns();
    if (own < 0) {
        throw_simple(env, "open the calling thread's network namespace", netns_text, errno);
        return -1;
    }
    /* O_NONBLOCK: a FIFO or device at that path must not hang or grab a terminal; nsfs ignores it. */
    int target = open(path, O_RDONLY | O_NONBLOCK | O_NOCTTY | O_CLOEXEC);
    if (target < 0) {
        int err = errno;
        close(own);
        throw_simple(env, "open network namespace", netns_text, err);
        return -1;
    }
    /* setns() checks that the file is a network namespace (EINVAL otherwise) before switching. */
    if (setns(target, CLONE_NEWNET) != 0) {
        int err = errno;
        close(target);
        close(own);
        struct failure f = { "setns into", netns_text, err, setns_hint(err) };
        throw_failure(env, &f);
        return -1;
    }
    close(target);

    /* From here until the switch back the thread is inside the pod's namespace: no JNI calls. */
    struct failure f = { NULL, NULL, 0, NULL };
    int fd = c->create(c->ctx, &f);

    if (setns(own, CLONE_NEWNET) != 0) {
        int err = errno;
        close(own);
        if (fd >= 0) {
            close(fd);
        }
        throw_switch_back(env, netns_text, err, fd < 0 ? &f : NULL);
        return -1;
    }
    close(own);
    if (fd < 0) {
        throw_failure(env, &f);
        return -1;
    }
    return fd;
}

struct udp_socket_request {
    const char *ifname;
    int port;
    jstring netns_text;
    jstring device_text;
    jstring socket_text;
};

static int create_udp_socket(void *ctx, struct failure *f)
{
    const struct udp_socket_request *r = ctx;
    return create_bound_socket(r->ifname, r->port, r->netns_text, r->device_text, r->socket_text, f);
}

/* Copies the namespace path and interface name into C strings; 0, or -1 with an exception thrown. */
static int copy_path_and_ifname(JNIEnv *env, jbyteArray netns_path, jbyteArray ifname_bytes,
        char path[PATH_MAX], char ifname[IFNAMSIZ])
{
    if (copy_c_string(env, netns_path, path, PATH_MAX, "network namespace path") != 0
            || copy_c_string(env, ifname_bytes, ifname, IFNAMSIZ, "interface name") != 0) {
        return -1;
    }
    return 0;
}

JNIEXPORT jint JNICALL Java_dev_terway_jni_NetnsUdpNative_open(JNIEnv *env, jclass cls, jbyteArray netns_path,
        jbyteArray ifname_bytes, jint port, jstring netns_text, jstring device_text, jstring socket_text)
{
    (void) cls;
    char path[PATH_MAX];
    char ifname[IFNAMSIZ];
    if (copy_path_and_ifname(env, netns_path, ifname_bytes, path, ifname) != 0) {
        return -1;
    }
    if (port < 0 || port > 65535) {
        throw_illegal_argument(env, "port must be 0..65535");
        return -1;
    }
    struct udp_socket_request request = { ifname, port, netns_text, device_text, socket_text };
    struct creation c = { create_udp_socket, &request };
    return create_in_netns(env, path, netns_text, &c);
}

static long long monotonic_millis(void);
static int in_bounds(JNIEnv *env, jbyteArray array, jint offset, jint length);
static int send_arguments_ok(JNIEnv *env, jbyteArray data, jint offset, jint length, jbyteArray address,
        jsize address_length, jint port, const char *usage);
static ssize_t send_staged(JNIEnv *env, int fd, jbyteArray data, jint offset, jint length,
        const struct sockaddr *dst, socklen_t dst_len, jstring target_text);

/* ---- IPv6 UDP sockets (NetnsUdp6Socket): a DHCPv6 client on a pod's link-local address ---- */

/* How long to sleep between looks at a link-local address that is not usable yet. */
#define LINK_LOCAL_POLL_MILLIS 20

struct udp6_socket_request {
    const char *ifname;
    int port;
    int wait_millis;
    jstring netns_text;
    jstring device_text;
    jstring socket_text;
    int ifindex;                 /* out */
    struct in6_addr local;       /* out: the link-local address bound */
};

/* The interface's link-local address as this thread's namespace has it: 1 found, 0 none, -1 errno set. */
static int find_link_local(const char *ifname, struct in6_addr *out)
{
    struct ifaddrs *all;
    if (getifaddrs(&all) != 0) {
        return -1;
    }
    int found = 0;
    for (struct ifaddrs *a = all; a != NULL; a = a->ifa_next) {
        if (a->ifa_addr != NULL && a->ifa_addr->sa_family == AF_INET6 && strcmp(a->ifa_name, ifname) == 0) {
            const struct sockaddr_in6 *sin6 = (const struct sockaddr_in6 *) a->ifa_addr;
            if (IN6_IS_ADDR_LINKLOCAL(&sin6->sin6_addr)) {
                *out = sin6->sin6_addr;
                found = 1;
                break;
            }
        }
    }
    freeifaddrs(all);
    return found;
}

static void sleep_millis(int millis)
{
    struct timespec t = { millis / 1000, (long) (millis % 1000) * 1000000L };
    while (nanosleep(&t, &t) != 0 && errno == EINTR) {
    }
}

/*
 * In the target namespace: an AF_INET6 UDP socket (IPv6 only) bound to the interface (SO_BINDTODEVICE),
 * sending multicast out of it only (IPV6_MULTICAST_IF, hop limit 1, no loopback), and bound to the
 * interface's link-local address and the port. Right after a veth comes up its link-local address is
 * missing or still tentative (duplicate address detection, about a second): the kernel refuses to bind a
 * tentative address (EADDRNOTAVAIL) and drops unicast sent to one, so the server's REPLY would be lost.
 * So this waits, up to wait_millis, for the address to exist and bind, rather than binding it early
 * with IPV6_FREEBIND and losing the first answers.
 */
static int create_udp6_socket(void *ctx, struct failure *f)
{
    struct udp6_socket_request *r = ctx;
    int fd = socket(AF_INET6, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    if (fd < 0) {
        *f = (struct failure) { "create a UDP/IPv6 socket in", r->netns_text, errno, NULL };
        return -1;
    }
    int one = 1;
    int zero = 0;
    struct ifreq ifr;
    memset(&ifr, 0, sizeof ifr);
    memcpy(ifr.ifr_name, r->ifname, strlen(r->ifname) + 1); /* fits: checked against IFNAMSIZ */
    if (setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &one, sizeof one) != 0) {
        *f = (struct failure) { "set IPV6_V6ONLY on", r->socket_text, errno, NULL };
    } else if (setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one) != 0) {
        *f = (struct failure) { "set SO_REUSEADDR on", r->socket_text, errno, NULL };
    } else if (setsockopt(fd, SOL_SOCKET, SO_BINDTODEVICE, r->ifname, (socklen_t) strlen(r->ifname) + 1) != 0) {
        int err = errno;
        *f = (struct failure) { "bind to device", r->device_text, err,
                                err == EPERM ? "SO_BINDTODEVICE needs CAP_NET_RAW" : NULL };
    } else if (ioctl(fd, SIOCGIFINDEX, &ifr) != 0) {
        int err = errno;
        *f = (struct failure) { "look up interface", r->device_text, err,
                                err == ENODEV ? "no such interface in that namespace" : NULL };
    } else {
        r->ifindex = ifr.ifr_ifindex;
        int hops = 1;
        if (setsockopt(fd, IPPROTO_IPV6, IPV6_MULTICAST_IF, &r->ifindex, sizeof r->ifindex) != 0) {
            *f = (struct failure) { "set IPV6_MULTICAST_IF on", r->socket_text, errno, NULL };
        } else if (setsockopt(fd, IPPROTO_IPV6, IPV6_MULTICAST_HOPS, &hops, sizeof hops) != 0) {
            *f = (struct failure) { "set IPV6_MULTICAST_HOPS on", r->socket_text, errno, NULL };
        } else if (setsockopt(fd, IPPROTO_IPV6, IPV6_MULTICAST_LOOP, &zero, sizeof zero) != 0) {
            *f = (struct failure) { "set IPV6_MULTICAST_LOOP on", r->socket_text, errno, NULL };
        } else {
            long long deadline = monotonic_millis() + r->wait_millis;
            int last_err = EADDRNOTAVAIL;
            const char *why = "the interface has no link-local address";
            for (;;) {
                int found = find_link_local(r->ifname, &r->local);
                if (found < 0) {
                    *f = (struct failure) { "list the addresses of", r->device_text, errno, NULL };
                    break;
                }
                if (found) {
                    struct sockaddr_in6 local = { 0 };
                    local.sin6_family = AF_INET6;
                    local.sin6_port = htons((uint16_t) r->port);
                    local.sin6_addr = r->local;
                    local.sin6_scope_id = (uint32_t) r->ifindex;
                    if (bind(fd, (struct sockaddr *) &local, sizeof local) == 0) {
                        return fd;
                    }
                    last_err = errno;
                    if (last_err != EADDRNOTAVAIL) {
                        *f = (struct failure) { "bind", r->socket_text, last_err, NULL };
                        break;
                    }
                    why = "its link-local address is still tentative (duplicate address detection) or failed DAD";
                }
                if (monotonic_millis() >= deadline) {
                    *f = (struct failure) { "bind to the link-local address of", r->device_text, last_err, why };
                    break;
                }
                sleep_millis(LINK_LOCAL_POLL_MILLIS);
            }
        }
    }
    close(fd);
    return -1;
}

JNIEXPORT jint JNICALL Java_dev_terway_jni_NetnsUdpNative_open6(JNIEnv *env, jclass cls, jbyteArray netns_path,
        jbyteArray ifname_bytes, jint port, jint wait_millis, jbyteArray local_address, jintArray ifindex_out,
        jstring netns_text, jstring device_text, jstring socket_text)
{
    (void) cls;
    char path[PATH_MAX];
    char ifname[IFNAMSIZ];
    if (copy_path_and_ifname(env, netns_path, ifname_bytes, path, ifname) != 0) {
        return -1;
    }
    if (port < 0 || port > 65535 || wait_millis < 0 || (*env)->GetArrayLength(env, local_address) < 16
            || (*env)->GetArrayLength(env, ifindex_out) < 1) {
        throw_illegal_argument(env, "open6 needs a port 0..65535, a wait >= 0 and room for the address and index");
        return -1;
    }
    struct udp6_socket_request request = { ifname, port, wait_millis, netns_text, device_text, socket_text, 0,
                                           IN6ADDR_ANY_INIT };
    struct creation c = { create_udp6_socket, &request };
    int fd = create_in_netns(env, path, netns_text, &c);
    if (fd < 0) {
        return -1;
    }
    (*env)->SetByteArrayRegion(env, local_address, 0, 16, (const jbyte *) request.local.s6_addr);
    jint index = request.ifindex;
    (*env)->SetIntArrayRegion(env, ifindex_out, 0, 1, &index);
    return fd;
}

JNIEXPORT jint JNICALL Java_dev_terway_jni_NetnsUdpNative_send6(JNIEnv *env, jclass cls, jint fd, jbyteArray data,
        jint offset, jint length, jbyteArray ipv6, jint scope_id, jint port, jstring target_text)
{
    (void) cls;
    if (!send_arguments_ok(env, data, offset, length, ipv6, 16, port,
            "destination must be 16 address bytes and a port 1..65535")) {
        return -1;
    }
    struct sockaddr_in6 dst = { 0 };
    dst.sin6_family = AF_INET6;
    dst.sin6_port = htons((uint16_t) port);
    dst.sin6_scope_id = (uint32_t) scope_id; /* the interface, for link-local and multicast destinations */
    (*env)->GetByteArrayRegion(env, ipv6, 0, 16, (jbyte *) dst.sin6_addr.s6_addr);
    return (jint) send_staged(env, fd, data, offset, length, (struct sockaddr *) &dst, sizeof dst, target_text);
}

/* Stages Java bytes in native memory: the stack for small datagrams, the heap for large ones. */
static unsigned char *staging(JNIEnv *env, unsigned char *stack_buffer, jint length)
{
    if (length <= STACK_BUFFER) {
        return stack_buffer;
    }
    unsigned char *heap = malloc((size_t) length);
    if (heap == NULL) {
        jclass oom = (*env)->FindClass(env, "java/lang/OutOfMemoryError");
        if (oom != NULL) {
            (*env)->ThrowNew(env, oom, "no native memory to stage a datagram");
        }
    }
    return heap;
}

static void release_staging(unsigned char *data, unsigned char *stack_buffer)
{
    if (data != stack_buffer) {
        free(data);
    }
}

static int in_bounds(JNIEnv *env, jbyteArray array, jint offset, jint length)
{
    jsize size = (*env)->GetArrayLength(env, array);
    if (offset < 0 || length < 0 || offset > size || length > size - offset) {
        throw_illegal_argument(env, "offset/length outside the array");
        return 0;
    }
    return 1;
}

/*
 * The checks send and send6 share: data bounds, an address of address_length bytes, a port 1..65535.
 * 1 when all hold, else 0 with an exception thrown (usage is its message for everything but the bounds).
 */
static int send_arguments_ok(JNIEnv *env, jbyteArray data, jint offset, jint length, jbyteArray address,
        jsize address_length, jint port, const char *usage)
{
    if (!in_bounds(env, data, offset, length) || (*env)->GetArrayLength(env, address) != address_length
            || port < 1 || port > 65535) {
        if (!(*env)->ExceptionCheck(env)) {
            throw_illegal_argument(env, usage);
        }
        return 0;
    }
    return 1;
}

/* Sends data[offset, offset + length) to dst, staged in native memory; -1 with an exception thrown on failure. */
static ssize_t send_staged(JNIEnv *env, int fd, jbyteArray data, jint offset, jint length,
        const struct sockaddr *dst, socklen_t dst_len, jstring target_text)
{
    unsigned char stack_buffer[STACK_BUFFER];
    unsigned char *bytes = staging(env, stack_buffer, length);
    if (bytes == NULL) {
        return -1;
    }
    (*env)->GetByteArrayRegion(env, data, offset, length, (jbyte *) bytes);
    ssize_t sent;
    do {
        sent = sendto(fd, bytes, (size_t) length, 0, dst, dst_len);
    } while (sent < 0 && errno == EINTR);
    int err = errno;
    release_staging(bytes, stack_buffer);
    if (sent < 0) {
        throw_simple(env, "send to", target_text, err);
        return -1;
    }
    return sent;
}

JNIEXPORT jint JNICALL Java_dev_terway_jni_NetnsUdpNative_send(JNIEnv *env, jclass cls, jint fd, jbyteArray data,
        jint offset, jint length, jbyteArray ipv4, jint port, jstring target_text)
{
    (void) cls;
    if (!send_arguments_ok(env, data, offset, length, ipv4, 4, port,
            "destination must be 4 address bytes and a port 1..65535")) {
        return -1;
    }
    struct sockaddr_in dst = { 0 };
    dst.sin_family = AF_INET;
    dst.sin_port = htons((uint16_t) port);
    (*env)->GetByteArrayRegion(env, ipv4, 0, 4, (jbyte *) &dst.sin_addr.s_addr); /* already network order */

    return (jint) send_staged(env, fd, data, offset, length, (struct sockaddr *) &dst, sizeof dst, target_text);
}

static long long monotonic_millis(void)
{
    struct timespec now;
    clock_gettime(CLOCK_MONOTONIC, &now);
    return (long long) now.tv_sec * 1000 + now.tv_nsec / 1000000;
}

#define WAIT_READY 1
#define WAIT_TIMED_OUT 0
#define WAIT_FAILED (-1)

/*
 * Waits until fd is readable or timeout_millis have passed. A signal (EINTR) only shortens the wait,
 * it does not restart it. On failure throws "<what> <socket_text>" and returns WAIT_FAILED.
 */
static int wait_readable(JNIEnv *env, int fd, jint timeout_millis, const char *what, jstring socket_text)
{
    long long deadline = monotonic_millis() + timeout_millis;
    struct pollfd p = { .fd = fd, .events = POLLIN, .revents = 0 };
    for (;;) {
        long long remaining = deadline - monotonic_millis();
        int ready = poll(&p, 1, remaining > 0 ? (int) remaining : 0);
        if (ready > 0) {
            break;
        }
        if (ready == 0) {
            return WAIT_TIMED_OUT;
        }
        if (errno != EINTR) {
            throw_simple(env, what, socket_text, errno);
            return WAIT_FAILED;
        }
    }
    if (p.revents & POLLNVAL) {
        throw_simple(env, what, socket_text, EBADF);
        return WAIT_FAILED;
    }
    return WAIT_READY;
}

/*
 * Waits up to timeout_millis (see wait_readable, which throws "<wait_what> <socket_text>"), then receives
 * one datagram or frame into buffer[offset, offset + length) and its source into src. MSG_DONTWAIT: poll() said readable, but the datagram may be gone (bad checksum) or the wake-up may
 * come from shutdown(); never block here. MSG_TRUNC: report the real length, stored in *full_length.
 * Returns the bytes copied, RECEIVE_TIMED_OUT, RECEIVE_NOTHING when nothing was there, or -1 with an
 * exception thrown.
 */
static jint wait_and_receive(JNIEnv *env, int fd, jbyteArray buffer, jint offset, jint length, jint timeout_millis,
        const char *wait_what, struct sockaddr *src, socklen_t src_len, jint *full_length, jstring socket_text)
{
    int waited = wait_readable(env, fd, timeout_millis, wait_what, socket_text);
    if (waited != WAIT_READY) {
        return waited == WAIT_TIMED_OUT ? dev_terway_jni_NetnsUdpNative_RECEIVE_TIMED_OUT : -1;
    }
    unsigned char stack_buffer[STACK_BUFFER];
    unsigned char *bytes = staging(env, stack_buffer, length);
    if (bytes == NULL) {
        return -1;
    }
    ssize_t n;
    do {
        n = recvfrom(fd, bytes, (size_t) length, MSG_DONTWAIT | MSG_TRUNC, src, &src_len);
    } while (n < 0 && errno == EINTR);
    int err = errno;
    if (n < 0) {
        release_staging(bytes, stack_buffer);
        if (err == EAGAIN || err == EWOULDBLOCK) {
            return dev_terway_jni_NetnsUdpNative_RECEIVE_NOTHING;
        }
        throw_simple(env, "receive on", socket_text, err);
        return -1;
    }
    jint copied = n > length ? length : (jint) n;
    (*env)->SetByteArrayRegion(env, buffer, offset, copied, (const jbyte *) bytes);
    release_staging(bytes, stack_buffer);
    *full_length = (jint) n;
    return copied;
}

/* Linux releases the descriptor even when close() reports EINTR, so never retry. */
static void close_socket(JNIEnv *env, int fd, jstring socket_text)
{
    if (close(fd) != 0 && errno != EINTR) {
        throw_simple(env, "close", socket_text, errno);
    }
}

/*
 * The checks receive and receive6 share: buffer bounds, a non-empty buffer, a timeout >= 0 and room for the
 * source info; source_room_ok says whether the caller's own source storage is large enough.
 * 1 when all hold, else 0 with an exception thrown (usage is its message for everything but the bounds).
 */
static int receive_arguments_ok(JNIEnv *env, jbyteArray buffer, jint offset, jint length, jint timeout_millis,
        jintArray source_info, int source_room_ok, const char *usage)
{
    if (!in_bounds(env, buffer, offset, length)) {
        return 0;
    }
    if (length < 1 || timeout_millis < 0
            || (*env)->GetArrayLength(env, source_info) < dev_terway_jni_NetnsUdpNative_SOURCE_INFO_SIZE
            || !source_room_ok) {
        throw_illegal_argument(env, usage);
        return 0;
    }
    return 1;
}

/* Fills the source info array: the address word (IPv4 address, or IPv6 scope id), port and full length. */
static void store_source_info(JNIEnv *env, jintArray source_info, jint address_word, jint port, jint full_length)
{
    jint info[dev_terway_jni_NetnsUdpNative_SOURCE_INFO_SIZE];
    info[dev_terway_jni_NetnsUdpNative_SOURCE_ADDRESS] = address_word;
    info[dev_terway_jni_NetnsUdpNative_SOURCE_PORT] = port;
    info[dev_terway_jni_NetnsUdpNative_FULL_LENGTH] = full_length;
    (*env)->SetIntArrayRegion(env, source_info, 0, dev_terway_jni_NetnsUdpNative_SOURCE_INFO_SIZE, info);
}

JNIEXPORT jint JNICALL Java_dev_terway_jni_NetnsUdpNative_receive(JNIEnv *env, jclass cls, jint fd,
        jbyteArray buffer, jint offset, jint length, jint timeout_millis, jintArray source_info, jstring socket_text)
{
    (void) cls;
    if (!receive_arguments_ok(env, buffer, offset, length, timeout_millis, source_info, 1,
            "receive needs a non-empty buffer, a timeout >= 0 and room for the source")) {
        return -1;
    }
    struct sockaddr_in src = { 0 };
    jint full_length = 0;
    jint copied = wait_and_receive(env, fd, buffer, offset, length, timeout_millis, "wait for a datagram on",
            (struct sockaddr *) &src, sizeof src, &full_length, socket_text);
    if (copied < 0) {
        return copied;
    }

    store_source_info(env, source_info, (jint) ntohl(src.sin_addr.s_addr), ntohs(src.sin_port), full_length);
    return copied;
}

JNIEXPORT jint JNICALL Java_dev_terway_jni_NetnsUdpNative_receive6(JNIEnv *env, jclass cls, jint fd,
        jbyteArray buffer, jint offset, jint length, jint timeout_millis, jintArray source_info,
        jbyteArray source_address, jstring socket_text)
{
    (void) cls;
    if (!receive_arguments_ok(env, buffer, offset, length, timeout_millis, source_info,
            (*env)->GetArrayLength(env, source_address) >= 16,
            "receive6 needs a non-empty buffer, a timeout >= 0 and room for the source")) {
        return -1;
    }
    struct sockaddr_in6 src = { 0 };
    jint full_length = 0;
    jint copied = wait_and_receive(env, fd, buffer, offset, length, timeout_millis, "wait for a datagram on",
            (struct sockaddr *) &src, sizeof src, &full_length, socket_text);
    if (copied < 0) {
        return copied;
    }
    store_source_info(env, source_info, (jint) src.sin6_scope_id, ntohs(src.sin6_port), full_length);
    (*env)->SetByteArrayRegion(env, source_address, 0, 16, (const jbyte *) src.sin6_addr.s6_addr);
    return copied;
}

JNIEXPORT jbyteArray JNICALL Java_dev_terway_jni_NetnsUdpNative_hardwareAddress(JNIEnv *env, jclass cls, jint fd,
        jbyteArray ifname_bytes, jintArray arp_type, jstring device_text)
{
    (void) cls;
    struct ifreq ifr;
    memset(&ifr, 0, sizeof ifr);
    if (copy_c_string(env, ifname_bytes, ifr.ifr_name, sizeof ifr.ifr_name, "interface name") != 0) {
        return NULL;
    }
    if ((*env)->GetArrayLength(env, arp_type) < 1) {
        throw_illegal_argument(env, "arpType must have room for one int");
        return NULL;
    }
    /* The ioctl resolves the name in the socket's namespace, not the calling thread's. */
    if (ioctl(fd, SIOCGIFHWADDR, &ifr) != 0) {
        throw_simple(env, "read hardware address of", device_text, errno);
        return NULL;
    }
    jint type = ifr.ifr_hwaddr.sa_family;
    (*env)->SetIntArrayRegion(env, arp_type, 0, 1, &type);
    jbyteArray mac = (*env)->NewByteArray(env, 6);
    if (mac != NULL) {
        (*env)->SetByteArrayRegion(env, mac, 0, 6, (const jbyte *) ifr.ifr_hwaddr.sa_data);
    }
    return mac;
}

JNIEXPORT void JNICALL Java_dev_terway_jni_NetnsUdpNative_shutdown(JNIEnv *env, jclass cls, jint fd)
{
    (void) env;
    (void) cls;
    /* On an unconnected UDP socket this returns ENOTCONN but still marks the socket shut down and
       wakes every poll() on it (the kernel does this on purpose), which is all we want. */
    (void) shutdown(fd, SHUT_RDWR);
}

JNIEXPORT void JNICALL Java_dev_terway_jni_NetnsUdpNative_close(JNIEnv *env, jclass cls, jint fd,
        jstring socket_text)
{
    (void) cls;
    close_socket(env, fd, socket_text);
}

/* ---- AF_PACKET sockets (NetnsPacketNative): ARP probes from inside a pod's namespace ---- */

#define MAC_LENGTH dev_terway_jni_NetnsPacketNative_MAC_LENGTH

struct packet_socket_request {
    const char *ifname;
    int ether_type;
    jstring netns_text;
    jstring device_text;
    jstring socket_text;
    int ifindex;                      /* out */
    int link_type;                    /* out: ARPHRD_* */
    unsigned char mac[MAC_LENGTH];    /* out */
};

static const char *packet_socket_hint(int err)
{
    return err == EPERM || err == EACCES ? "AF_PACKET sockets need CAP_NET_RAW" : NULL;
}

/*
 * In the target namespace: an AF_PACKET/SOCK_DGRAM socket bound to the interface and the EtherType.
 * It is created with protocol 0, which receives nothing, and only bind() names the EtherType: created
 * with the EtherType it would queue matching frames from every interface of the namespace until bound.
 * The interface is looked up with ioctls on the socket itself, which resolve names in its namespace.
 */
static int create_packet_socket(void *ctx, struct failure *f)
{
    struct packet_socket_request *r = ctx;
    int fd = socket(AF_PACKET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    if (fd < 0) {
        int err = errno;
        *f = (struct failure) { "create a packet socket in", r->netns_text, err, packet_socket_hint(err) };
        return -1;
    }
    struct ifreq ifr;
    memset(&ifr, 0, sizeof ifr);
    memcpy(ifr.ifr_name, r->ifname, strlen(r->ifname) + 1); /* fits: checked against IFNAMSIZ */
    if (ioctl(fd, SIOCGIFINDEX, &ifr) != 0) {
        int err = errno;
        *f = (struct failure) { "look up interface", r->device_text, err,
                                err == ENODEV ? "no such interface in that namespace" : NULL };
        close(fd);
        return -1;
    }
    r->ifindex = ifr.ifr_ifindex;
    if (ioctl(fd, SIOCGIFHWADDR, &ifr) != 0) {
        *f = (struct failure) { "read hardware address of", r->device_text, errno, NULL };
        close(fd);
        return -1;
    }
    r->link_type = ifr.ifr_hwaddr.sa_family;
    memcpy(r->mac, ifr.ifr_hwaddr.sa_data, MAC_LENGTH);

    struct sockaddr_ll sll;
    memset(&sll, 0, sizeof sll);
    sll.sll_family = AF_PACKET;
    sll.sll_protocol = htons((uint16_t) r->ether_type);
    sll.sll_ifindex = r->ifindex;
    if (bind(fd, (struct sockaddr *) &sll, sizeof sll) != 0) {
        *f = (struct failure) { "bind", r->socket_text, errno, NULL };
        close(fd);
        return -1;
    }
    return fd;
}

JNIEXPORT jint JNICALL Java_dev_terway_jni_NetnsPacketNative_open(JNIEnv *env, jclass cls, jbyteArray netns_path,
        jbyteArray ifname_bytes, jint ether_type, jintArray link_info, jbyteArray mac, jstring netns_text,
        jstring device_text, jstring socket_text)
{
    (void) cls;
    char path[PATH_MAX];
    char ifname[IFNAMSIZ];
    if (copy_path_and_ifname(env, netns_path, ifname_bytes, path, ifname) != 0) {
        return -1;
    }
    /* Below 0x0600 the field is an 802.3 length, not an EtherType. */
    if (ether_type < 0x0600 || ether_type > 0xffff
            || (*env)->GetArrayLength(env, link_info) < dev_terway_jni_NetnsPacketNative_LINK_INFO_SIZE
            || (*env)->GetArrayLength(env, mac) < MAC_LENGTH) {
        throw_illegal_argument(env, "open needs an EtherType 0x0600..0xffff and room for the link info and MAC");
        return -1;
    }
    struct packet_socket_request request = { ifname, ether_type, netns_text, device_text, socket_text, 0, 0, { 0 } };
    struct creation c = { create_packet_socket, &request };
    int fd = create_in_netns(env, path, netns_text, &c);
    if (fd < 0) {
        return -1;
    }
    jint info[dev_terway_jni_NetnsPacketNative_LINK_INFO_SIZE];
    info[dev_terway_jni_NetnsPacketNative_LINK_INDEX] = request.ifindex;
    info[dev_terway_jni_NetnsPacketNative_LINK_TYPE] = request.link_type;
    (*env)->SetIntArrayRegion(env, link_info, 0, dev_terway_jni_NetnsPacketNative_LINK_INFO_SIZE, info);
    (*env)->SetByteArrayRegion(env, mac, 0, MAC_LENGTH, (const jbyte *) request.mac);
    return fd;
}

JNIEXPORT void JNICALL Java_dev_terway_jni_NetnsPacketNative_send(JNIEnv *env, jclass cls, jint fd,
        jbyteArray data, jint offset, jint length, jint ifindex, jint ether_type, jbyteArray destination_mac,
        jstring target_text)
{
    (void) cls;
    if (!in_bounds(env, data, offset, length)) {
        return;
    }
    if ((*env)->GetArrayLength(env, destination_mac) != MAC_LENGTH || ifindex < 1
            || ether_type < 0x0600 || ether_type > 0xffff) {
        throw_illegal_argument(env, "send needs a six-byte destination, an interface index and an EtherType");
        return;
    }
    struct sockaddr_ll dst;
    memset(&dst, 0, sizeof dst);
    dst.sll_family = AF_PACKET;
    dst.sll_protocol = htons((uint16_t) ether_type);
    dst.sll_ifindex = ifindex;
    dst.sll_halen = MAC_LENGTH;
    (*env)->GetByteArrayRegion(env, destination_mac, 0, MAC_LENGTH, (jbyte *) dst.sll_addr);

    ssize_t sent = send_staged(env, fd, data, offset, length, (struct sockaddr *) &dst, sizeof dst, target_text);
    if (sent >= 0 && sent != length) {
        throw_simple(env, "send all of a frame to", target_text, EMSGSIZE);
    }
}

JNIEXPORT jint JNICALL Java_dev_terway_jni_NetnsPacketNative_receive(JNIEnv *env, jclass cls, jint fd,
        jbyteArray buffer, jint offset, jint length, jint timeout_millis, jintArray frame_info,
        jbyteArray source_mac, jstring socket_text)
{
    (void) cls;
    if (!in_bounds(env, buffer, offset, length)) {
        return -1;
    }
    if (length < 1 || timeout_millis < 0
            || (*env)->GetArrayLength(env, frame_info) < dev_terway_jni_NetnsPacketNative_FRAME_INFO_SIZE
            || (*env)->GetArrayLength(env, source_mac) < MAC_LENGTH) {
        throw_illegal_argument(env, "receive needs a non-empty buffer, a timeout >= 0 and room for the frame info");
        return -1;
    }

    /* AF_PACKET sockets ignore shutdown(), so the Java side bounds each wait instead of being woken. */
    struct sockaddr_ll src;
    memset(&src, 0, sizeof src);
    jint full_length = 0;
    jint copied = wait_and_receive(env, fd, buffer, offset, length, timeout_millis, "wait for a frame on",
            (struct sockaddr *) &src, sizeof src, &full_length, socket_text);
    if (copied < 0) {
        return copied;
    }

    unsigned char mac[MAC_LENGTH] = { 0 };
    if (src.sll_halen == MAC_LENGTH) {
        memcpy(mac, src.sll_addr, MAC_LENGTH);
    }
    (*env)->SetByteArrayRegion(env, source_mac, 0, MAC_LENGTH, (const jbyte *) mac);
    jint info[dev_terway_jni_NetnsPacketNative_FRAME_INFO_SIZE];
    info[dev_terway_jni_NetnsPacketNative_FRAME_PACKET_TYPE] = src.sll_pkttype;
    info[dev_terway_jni_NetnsPacketNative_FRAME_FULL_LENGTH] = full_length;
    (*env)->SetIntArrayRegion(env, frame_info, 0, dev_terway_jni_NetnsPacketNative_FRAME_INFO_SIZE, info);
    return copied;
}

JNIEXPORT void JNICALL Java_dev_terway_jni_NetnsPacketNative_close(JNIEnv *env, jclass cls, jint fd,
        jstring socket_text)
{
    (void) cls;
    close_socket(env, fd, socket_text);
}
