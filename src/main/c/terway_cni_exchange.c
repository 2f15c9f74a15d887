/*
 * terway_cni_exchange.c: the native half of dev.terway.cni.entry.NativeSocketTransport.
 *
 * One exchange with the terway daemon over its unix stream socket: connect, send the request, half-close,
 * read the answer to its end, all within a deadline. The protocol is docs/protocol.md; its limits are
 * dev.terway.daemon.DaemonProtocol's, which the Java half passes in (timeout_ms, max_answer) after checking
 * the request's size, and parses the answer with. This file only moves the bytes. cni-terway starts once per pod event and runs
 * interpreted; the same exchange through java.nio first initialises the selector provider (a service
 * lookup and a lambda) and sun.nio.ch.UnixDomainSockets, whose SecureRandom loads the security providers:
 * measured, that is about half of the client's CPU time. This file is its own small library
 * (libterwaycni.so) because a JNI library belongs to one class loader, and the in-process fallback loads
 * libterwaynet.so in a loader of its own.
 *
 * A failure to connect throws DaemonUnreachableException (nothing was sent); any later failure an
 * IOException. Messages name the operation, the socket and strerror(errno).
 */
#define _GNU_SOURCE
#include <jni.h>

#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include "dev_terway_cni_entry_NativeSocketTransport.h"

static void throw_io(JNIEnv *env, const char *class_name, const char *message)
{
    jclass cls = (*env)->FindClass(env, class_name);
    if (cls == NULL) {
        return; /* NoClassDefFoundError is pending */
    }
    jmethodID ctor = (*env)->GetMethodID(env, cls, "<init>", "(Ljava/lang/String;Ljava/lang/Throwable;)V");
    if (ctor == NULL) {
        return;
    }
    jstring text = (*env)->NewStringUTF(env, message);
    if (text == NULL) {
        return;
    }
    jthrowable e = (jthrowable) (*env)->NewObject(env, cls, ctor, text, NULL);
    if (e != NULL) {
        (*env)->Throw(env, e);
    }
}

static void fail(JNIEnv *env, const char *class_name, const char *what, const char *socket_path, int err)
{
    char message[512];
    snprintf(message, sizeof message, "%s the terway daemon at %s: %s", what, socket_path, strerror(err));
    throw_io(env, class_name, message);
}

/*
 * Bounds a blocked connect(2) or send(2) by what is left of the deadline: unix stream sockets honour
 * SO_SNDTIMEO for both (connect blocks while the daemon's backlog is full), failing with EAGAIN.
 */
static int limit_send_wait(int fd, long long left_ms)
{
    struct timeval tv = {.tv_sec = (time_t) (left_ms / 1000), .tv_usec = (suseconds_t) (left_ms % 1000) * 1000};
    return setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv);
}

static void timed_out(JNIEnv *env, const char *class_name, const char *what, const char *socket_path, int timeout_ms)
{
    char message[512];
    snprintf(message, sizeof message, "the terway daemon at %s did not %s within %d ms", socket_path, what,
            timeout_ms);
    throw_io(env, class_name, message);
}

static long long now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (long long) ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

JNIEXPORT jbyteArray JNICALL Java_dev_terway_cni_entry_NativeSocketTransport_exchange(JNIEnv *env, jclass cls,
        jstring socket_text, jbyteArray request, jint timeout_ms, jint max_answer)
{
    (void) cls;
    static const char *unreachable = "dev/terway/daemon/DaemonUnreachableException";
    static const char *io = "java/io/IOException";
    jbyteArray result = NULL;
    const char *path = (*env)->GetStringUTFChars(env, socket_text, NULL);
    if (path == NULL) {
        return NULL;
    }
    struct sockaddr_un addr;
    memset(&addr, 0, sizeof addr);
    addr.sun_family = AF_UNIX;
    if (strlen(path) >= sizeof addr.sun_path) {
        fail(env, unreachable, "cannot connect to", path, ENAMETOOLONG);
        (*env)->ReleaseStringUTFChars(env, socket_text, path);
        return NULL;
    }
    strcpy(addr.sun_path, path);
    int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0) {
        fail(env, unreachable, "cannot open a socket to", path, errno);
        (*env)->ReleaseStringUTFChars(env, socket_text, path);
        return NULL;
    }
    char *answer = NULL;
    long long deadline = now_ms() + timeout_ms;
    if (timeout_ms <= 0 || limit_send_wait(fd, timeout_ms) != 0) {
        fail(env, unreachable, "cannot set the deadline of the connection to", path, timeout_ms <= 0 ? EINVAL : errno);
        goto out;
    }
    if (connect(fd, (struct sockaddr *) &addr, sizeof addr) != 0) {
        if (errno == EAGAIN) {
            timed_out(env, unreachable, "accept the connection", path, (int) timeout_ms);
        } else {
            fail(env, unreachable, "cannot connect to", path, errno);
        }
        goto out;
    }
    jsize length = (*env)->GetArrayLength(env, request);
    jbyte *bytes = (*env)->GetByteArrayElements(env, request, NULL);
    if (bytes == NULL) {
        goto out;
    }
    jsize sent = 0;
    while (sent < length) {
        long long left = deadline - now_ms();
        if (left <= 0 || limit_send_wait(fd, left) != 0) {
            int err = errno;
            (*env)->ReleaseByteArrayElements(env, request, bytes, JNI_ABORT);
            if (left <= 0) {
                timed_out(env, io, "answer", path, (int) timeout_ms);
            } else {
                fail(env, io, "cannot send the request to", path, err);
            }
            goto out;
        }
        ssize_t n = send(fd, bytes + sent, (size_t) (length - sent), MSG_NOSIGNAL);
        if (n < 0 && errno == EINTR) {
            continue;
        }
        if (n < 0) {
            int err = errno;
            (*env)->ReleaseByteArrayElements(env, request, bytes, JNI_ABORT);
            if (err == EAGAIN) {
                timed_out(env, io, "answer", path, (int) timeout_ms);
            } else {
                fail(env, io, "cannot send the request to", path, err);
            }
            goto out;
        }
        sent += (jsize) n;
    }
    (*env)->ReleaseByteArrayElements(env, request, bytes, JNI_ABORT);
    if (shutdown(fd, SHUT_WR) != 0) {
        fail(env, io, "cannot end the request to", path, errno);
        goto out;
    }
    size_t capacity = 16384, size = 0;
    answer = malloc(capacity);
    if (answer == NULL) {
        fail(env, io, "no memory for the answer of", path, ENOMEM);
        goto out;
    }
    for (;;) {
        long long left = deadline - now_ms();
        if (left <= 0) {
            timed_out(env, io, "answer", path, (int) timeout_ms);
            goto out;
        }
        struct pollfd p = {.fd = fd, .events = POLLIN};
        int ready = poll(&p, 1, left > 60000 ? 60000 : (int) left);
        if (ready < 0 && errno != EINTR) {
            fail(env, io, "cannot wait for the answer of", path, errno);
            goto out;
        }
        if (ready <= 0) {
            continue;
        }
        if (size == capacity) {
            if (capacity >= (size_t) max_answer + 1) {
                char message[512];
                snprintf(message, sizeof message, "the terway daemon at %s sent more than %d bytes", path,
                        (int) max_answer);
                throw_io(env, io, message);
                goto out;
            }
            char *bigger = realloc(answer, capacity * 2);
            if (bigger == NULL) {
                fail(env, io, "no memory for the answer of", path, ENOMEM);
                goto out;
            }
            answer = bigger;
            capacity *= 2;
        }
        ssize_t n = recv(fd, answer + size, capacity - size, 0);
        if (n < 0 && errno == EINTR) {
            continue;
        }
        if (n < 0) {
            fail(env, io, "cannot read the answer of", path, errno);
            goto out;
        }
        if (n == 0) {
            break;
        }
        size += (size_t) n;
        if (size > (size_t) max_answer) {
            char message[512];
            snprintf(message, sizeof message, "the terway daemon at %s sent more than %d bytes", path,
                    (int) max_answer);
            throw_io(env, io, message);
            goto out;
        }
    }
    result = (*env)->NewByteArray(env, (jsize) size);
    if (result != NULL) {
        (*env)->SetByteArrayRegion(env, result, 0, (jsize) size, (const jbyte *) answer);
    }
out:
    free(answer);
    close(fd);
    (*env)->ReleaseStringUTFChars(env, socket_text, path);
    return result;
}
