/*
 * Load generator of bench/dht_rate.ts: offers pre-built DHT requests to one UDP target at a
 * fixed rate and counts the answers, cheaply enough (sendmmsg/recvmmsg in batches, no
 * per-packet allocation) that it can offer more than either node under test answers.
 *
 *   dht_load PORT PUBKEY_HEX RATE SECONDS PACKET_FILE
 *
 * PACKET_FILE holds the requests as [length u16 BE][bytes] records; they are sent in turn,
 * round robin, to 127.0.0.1:PORT from one socket. An answer counts when its first byte is
 * 0x01 (ping response) or 0x04 (nodes response), it is at least 82 bytes long and it carries
 * PUBKEY as sender. Answers arriving up to 300 ms after the last send still count.
 * Prints one line: "sent <n> answered <n> seconds <s>".
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "_udp_batch.h"

#define MAX_LEN 2048
#define MIN_ANSWER 82
#define GRACE_S 0.3

static int hexval(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

static unsigned char rbuf[BATCH][MAX_LEN];

/* Reads every answer waiting on the socket; returns how many were valid. */
static long drain(int fd, const unsigned char *pk) {
  struct mmsghdr msgs[BATCH];
  struct iovec iov[BATCH];
  long valid = 0;
  for (int round = 0; round < 1024; round++) {
    memset(msgs, 0, sizeof msgs);
    for (int i = 0; i < BATCH; i++) {
      iov[i].iov_base = rbuf[i];
      iov[i].iov_len = MAX_LEN;
      msgs[i].msg_hdr.msg_iov = &iov[i];
      msgs[i].msg_hdr.msg_iovlen = 1;
    }
    int got = recvmmsg(fd, msgs, BATCH, MSG_DONTWAIT, NULL);
    if (got <= 0) break;
    for (int i = 0; i < got; i++) {
      const unsigned char *d = rbuf[i];
      if (msgs[i].msg_len >= MIN_ANSWER && (d[0] == 1 || d[0] == 4) &&
          memcmp(d + 1, pk, 32) == 0) {
        valid++;
      }
    }
    if (got < BATCH) break;
  }
  return valid;
}

int main(int argc, char **argv) {
  if (argc != 6) {
    fprintf(stderr, "usage: dht_load PORT PUBKEY_HEX RATE SECONDS PACKET_FILE\n");
    return 2;
  }
  int port = atoi(argv[1]);
  double rate = atof(argv[3]), seconds = atof(argv[4]);
  unsigned char pk[32];
  if (strlen(argv[2]) != 64) {
    fprintf(stderr, "dht_load: PUBKEY_HEX must be 64 hex digits\n");
    return 2;
  }
  for (int i = 0; i < 32; i++) {
    int hi = hexval(argv[2][2 * i]), lo = hexval(argv[2][2 * i + 1]);
    if (hi < 0 || lo < 0) {
      fprintf(stderr, "dht_load: PUBKEY_HEX must be 64 hex digits\n");
      return 2;
    }
    pk[i] = (unsigned char)(hi << 4 | lo);
  }
  if (port <= 0 || port > 65535 || rate <= 0 || seconds <= 0 || seconds > 60) {
    fprintf(stderr, "dht_load: bad PORT, RATE or SECONDS (at most 60)\n");
    return 2;
  }
  size_t count = load_packets(argv[5], MAX_LEN);
  if (count == 0) {
    fprintf(stderr, "dht_load: no packets in %s\n", argv[5]);
    return 2;
  }

  int fd = socket(AF_INET, SOCK_DGRAM, 0);
  if (fd < 0) {
    perror("dht_load: socket");
    return 1;
  }
  int buf = 4 * 1024 * 1024;
  setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &buf, sizeof buf);
  setsockopt(fd, SOL_SOCKET, SO_SNDBUF, &buf, sizeof buf);
  struct sockaddr_in to = {0};
  to.sin_family = AF_INET;
  to.sin_port = htons((uint16_t)port);
  to.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (connect(fd, (struct sockaddr *)&to, sizeof to) != 0) {
    perror("dht_load: connect");
    return 1;
  }

  long sent = 0, answered = 0;
  size_t next = 0;
  double start = now_s(), end = start + seconds, t;
  while ((t = now_s()) < end) {
    long due = (long)((t - start) * rate);
    int burst = 0;
    while (sent < due && burst < 16) {
      int done = send_batch(fd, due - sent, &next, count);
      if (done <= 0) break; /* ENOBUFS and the like: offer less, count only what went */
      sent += done;
      burst++;
    }
    answered += drain(fd, pk);
    struct pollfd p = {.fd = fd, .events = POLLIN};
    poll(&p, 1, sent < due ? 0 : 1);
  }
  double elapsed = now_s() - start;
  double stop = now_s() + GRACE_S;
  while (now_s() < stop) {
    answered += drain(fd, pk);
    struct pollfd p = {.fd = fd, .events = POLLIN};
    poll(&p, 1, 10);
  }
  close(fd);
  printf("sent %ld answered %ld seconds %.4f\n", sent, answered, elapsed);
  return 0;
}
