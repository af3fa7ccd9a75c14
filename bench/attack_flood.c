/*
 * Attacker of bench/attack.ts: cheap floods against one server on 127.0.0.1, bounded in
 * count and time, from NSRC source addresses 127.0.1.1 .. 127.0.1.NSRC (so a per-source
 * budget sees many sources, and the canary on 127.0.0.1 is not one of them).
 *
 *   attack_flood udp   PORT RATE SECONDS NSRC PACKET_FILE
 *       sends the [length u16 BE][bytes] records of PACKET_FILE round robin at RATE/s
 *       (sendmmsg in batches), reading and dropping whatever comes back.
 *   attack_flood hold  PORT COUNT SECONDS NSRC none|ffff|partial
 *       opens COUNT connections (at most 2000 a second), writes nothing, 0xFF 0xFF, or the
 *       first 60 bytes of a 128-byte handshake, and holds them all until SECONDS are up.
 *   attack_flood churn PORT RATE SECONDS NSRC fin|rst|random
 *       opens RATE connections a second; each, once connected, is closed at once with a FIN,
 *       reset (SO_LINGER 0, so an RST), or sent 512 random bytes then closed.
 *
 * Prints one line: "sent <n> opened <n> failed <n> seconds <s>".
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "_udp_batch.h"

#define MAX_LEN 65507
#define MAX_SRC 250
#define MAX_CONNS 16384
#define MAX_PENDING 512

static struct sockaddr_in addr_of(int host_octets, int port) {
  struct sockaddr_in a = {0};
  a.sin_family = AF_INET;
  a.sin_port = htons((uint16_t)port);
  a.sin_addr.s_addr = htonl((uint32_t)host_octets);
  return a;
}

/* Source address number i (0-based): 127.0.1.(i + 1). */
static struct sockaddr_in source(int i) { return addr_of((127 << 24) | (1 << 8) | (i + 1), 0); }

static unsigned char rbuf[2048];

static int run_udp(int port, double rate, double seconds, int nsrc, const char *file) {
  size_t count = load_packets(file, MAX_LEN);
  if (count == 0) {
    fprintf(stderr, "attack_flood: no packets in %s\n", file);
    return 2;
  }
  int fds[MAX_SRC];
  struct sockaddr_in to = addr_of(0x7f000001, port);
  for (int i = 0; i < nsrc; i++) {
    fds[i] = socket(AF_INET, SOCK_DGRAM | SOCK_NONBLOCK, 0);
    struct sockaddr_in src = source(i);
    int buf = 1 << 20;
    setsockopt(fds[i], SOL_SOCKET, SO_SNDBUF, &buf, sizeof buf);
    if (fds[i] < 0 || bind(fds[i], (struct sockaddr *)&src, sizeof src) != 0 ||
        connect(fds[i], (struct sockaddr *)&to, sizeof to) != 0) {
      perror("attack_flood: udp socket");
      return 1;
    }
  }
  long sent = 0;
  size_t next = 0;
  int s = 0;
  double start = now_s(), end = start + seconds, t;
  while ((t = now_s()) < end) {
    long due = (long)((t - start) * rate);
    for (int burst = 0; sent < due && burst < 16; burst++) {
      int done = send_batch(fds[s], due - sent, &next, count);
      s = (s + 1) % nsrc;
      if (done <= 0) break; /* ENOBUFS, ECONNREFUSED: count only what went */
      sent += done;
    }
    for (int i = 0; i < nsrc; i++) {
      for (int k = 0; k < 256 && recv(fds[i], rbuf, sizeof rbuf, MSG_DONTWAIT) >= 0; k++) {
      }
    }
    struct timespec nap = {0, 200000};
    if (sent >= due) nanosleep(&nap, NULL);
  }
  printf("sent %ld opened 0 failed 0 seconds %.4f\n", sent, now_s() - start);
  return 0;
}

/* A non-blocking connect from source i; -1 on failure. */
static int open_conn(int port, int i) {
  int fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0);
  if (fd < 0) return -1;
  int one = 1;
  setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
  struct sockaddr_in src = source(i), to = addr_of(0x7f000001, port);
  if (bind(fd, (struct sockaddr *)&src, sizeof src) != 0 ||
      (connect(fd, (struct sockaddr *)&to, sizeof to) != 0 && errno != EINPROGRESS)) {
    close(fd);
    return -1;
  }
  return fd;
}

static void reset_close(int fd) {
  struct linger l = {1, 0};
  setsockopt(fd, SOL_SOCKET, SO_LINGER, &l, sizeof l);
  close(fd);
}

static int conns[MAX_CONNS];

static int run_hold(int port, long count, double seconds, int nsrc, const char *what) {
  static const unsigned char ffff[2] = {0xff, 0xff};
  unsigned char partial[60];
  for (size_t i = 0; i < sizeof partial; i++) partial[i] = (unsigned char)rand();
  const unsigned char *payload = NULL;
  size_t plen = 0;
  if (strcmp(what, "ffff") == 0) payload = ffff, plen = sizeof ffff;
  else if (strcmp(what, "partial") == 0) payload = partial, plen = sizeof partial;
  else if (strcmp(what, "none") != 0) return 2;
  if (count > MAX_CONNS) count = MAX_CONNS;
  long opened = 0, failed = 0, sent = 0;
  double start = now_s(), end = start + seconds, t;
  while ((t = now_s()) < end) {
    long due = (long)((t - start) * 2000);
    while (opened + failed < count && opened + failed < due) {
      int fd = open_conn(port, (int)((opened + failed) % nsrc));
      if (fd < 0) {
        failed++;
        continue;
      }
      conns[opened++] = fd;
    }
    /* Write the payload once a connection is up (a non-blocking write fails before). */
    if (payload) {
      for (long i = sent; i < opened; i++) {
        if (write(conns[i], payload, plen) < 0 && errno == EAGAIN) break;
        sent = i + 1;
      }
    }
    struct timespec nap = {0, 5000000};
    nanosleep(&nap, NULL);
  }
  for (long i = 0; i < opened; i++) close(conns[i]);
  printf("sent %ld opened %ld failed %ld seconds %.4f\n", sent, opened, failed, now_s() - start);
  return 0;
}

static int run_churn(int port, double rate, double seconds, int nsrc, const char *how) {
  int mode = strcmp(how, "fin") == 0 ? 0 : strcmp(how, "rst") == 0 ? 1 : strcmp(how, "random") == 0 ? 2 : -1;
  if (mode < 0) return 2;
  unsigned char junk[512];
  for (size_t i = 0; i < sizeof junk; i++) junk[i] = (unsigned char)rand();
  struct pollfd pend[MAX_PENDING];
  double born[MAX_PENDING];
  int npend = 0;
  long started = 0, opened = 0, failed = 0, sent = 0;
  double start = now_s(), end = start + seconds, t;
  while ((t = now_s()) < end) {
    long due = (long)((t - start) * rate);
    while (started < due && npend < MAX_PENDING) {
      int fd = open_conn(port, (int)(started++ % nsrc));
      if (fd < 0) {
        failed++;
        continue;
      }
      pend[npend].fd = fd;
      pend[npend].events = POLLOUT;
      born[npend++] = t;
    }
    if (started < due) started = due; /* too many pending: offer less */
    poll(pend, (nfds_t)npend, 1);
    for (int i = 0; i < npend;) {
      int fd = pend[i].fd, err = 0;
      socklen_t el = sizeof err;
      int done = 0;
      if (pend[i].revents & (POLLOUT | POLLERR | POLLHUP)) {
        getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &el);
        done = 1;
        if (err != 0) {
          failed++;
          close(fd);
        } else {
          opened++;
          if (mode == 2 && write(fd, junk, sizeof junk) > 0) sent++;
          if (mode == 1) reset_close(fd);
          else close(fd);
        }
      } else if (t - born[i] > 1.0) {
        done = 1;
        failed++;
        close(fd);
      }
      if (done) {
        pend[i] = pend[--npend];
        born[i] = born[npend];
      } else {
        i++;
      }
    }
  }
  for (int i = 0; i < npend; i++) close(pend[i].fd);
  printf("sent %ld opened %ld failed %ld seconds %.4f\n", sent, opened, failed, now_s() - start);
  return 0;
}

int main(int argc, char **argv) {
  if (argc != 7) {
    fprintf(stderr, "usage: attack_flood udp|hold|churn PORT RATE|COUNT SECONDS NSRC ARG\n");
    return 2;
  }
  int port = atoi(argv[2]), nsrc = atoi(argv[5]);
  double n = atof(argv[3]), seconds = atof(argv[4]);
  if (port <= 0 || port > 65535 || n <= 0 || n > 1e6 || seconds <= 0 || seconds > 60 || nsrc < 1 ||
      nsrc > MAX_SRC) {
    fprintf(stderr, "attack_flood: bad PORT, RATE, SECONDS (at most 60) or NSRC (1..%d)\n", MAX_SRC);
    return 2;
  }
  struct rlimit rl = {MAX_CONNS + 256, MAX_CONNS + 256};
  setrlimit(RLIMIT_NOFILE, &rl);
  srand((unsigned)time(NULL));
  if (strcmp(argv[1], "udp") == 0) return run_udp(port, n, seconds, nsrc, argv[6]);
  if (strcmp(argv[1], "hold") == 0) return run_hold(port, (long)n, seconds, nsrc, argv[6]);
  if (strcmp(argv[1], "churn") == 0) return run_churn(port, n, seconds, nsrc, argv[6]);
  fprintf(stderr, "attack_flood: unknown mode %s\n", argv[1]);
  return 2;
}
