/* JNI code the javaagent cannot see: plain libc open/connect. Built by SandboxIT with gcc. */
#include <jni.h>
#include <fcntl.h>
#include <unistd.h>
#include <errno.h>
#include <string.h>
#include <stdio.h>
#include <sys/socket.h>
#include <netinet/in.h>
#include <arpa/inet.h>

static jstring result(JNIEnv *env, int ok, long n) {
    char out[300];
    if (ok) {
        snprintf(out, sizeof out, "OK %ld", n);
    } else {
        snprintf(out, sizeof out, "ERR %s", strerror(errno));
    }
    return (*env)->NewStringUTF(env, out);
}

JNIEXPORT jstring JNICALL Java_dev_agt_tests_sandbox_NativeProbe_read(JNIEnv *env, jclass c, jstring path) {
    const char *p = (*env)->GetStringUTFChars(env, path, 0);
    int fd = open(p, O_RDONLY);
    (*env)->ReleaseStringUTFChars(env, path, p);
    if (fd < 0) {
        return result(env, 0, 0);
    }
    char buf[4096];
    ssize_t n = read(fd, buf, sizeof buf);
    close(fd);
    return result(env, n >= 0, (long) n);
}

JNIEXPORT jstring JNICALL Java_dev_agt_tests_sandbox_NativeProbe_write(JNIEnv *env, jclass c, jstring path) {
    const char *p = (*env)->GetStringUTFChars(env, path, 0);
    int fd = open(p, O_WRONLY | O_CREAT | O_TRUNC, 0644);
    (*env)->ReleaseStringUTFChars(env, path, p);
    if (fd < 0) {
        return result(env, 0, 0);
    }
    ssize_t n = write(fd, "native", 6);
    close(fd);
    return result(env, n >= 0, (long) n);
}

JNIEXPORT jstring JNICALL Java_dev_agt_tests_sandbox_NativeProbe_connect(JNIEnv *env, jclass c, jint port) {
    int s = socket(AF_INET, SOCK_STREAM, 0);
    if (s < 0) {
        return result(env, 0, 0);
    }
    struct sockaddr_in a;
    memset(&a, 0, sizeof a);
    a.sin_family = AF_INET;
    a.sin_port = htons((unsigned short) port);
    a.sin_addr.s_addr = inet_addr("127.0.0.1");
    int r = connect(s, (struct sockaddr *) &a, sizeof a);
    if (r == 0) {
        write(s, "native\n", 7);
    }
    int saved = errno;
    close(s);
    errno = saved;
    return result(env, r == 0, 0);
}
