// The RSS floor of the product owner's C libraries alone: libcurl + libcrypto doing what the run
// daemon does each second (three keep-alive GETs), with one SHA-256. bench/compare.py builds and
// runs it next to Floor (the same in Swift) and scalebridge.
#include <curl/curl.h>
#include <openssl/evp.h>
#include <stdio.h>
#include <unistd.h>
#include <string.h>
#include <stdlib.h>
static size_t sink(char *p, size_t s, size_t n, void *u) { return s * n; }
int main(int argc, char **argv) {
  curl_global_init(CURL_GLOBAL_DEFAULT);
  CURL *h[3]; for (int i = 0; i < 3; i++) h[i] = curl_easy_init();
  unsigned char md[32]; EVP_Digest("x", 1, md, NULL, EVP_sha256(), NULL);
  for (int t = 0; t < atoi(argv[2]); t++) {
    for (int i = 0; i < 3; i++) { char u[256]; snprintf(u, sizeof u, "%s/t%d", argv[1], i);
      curl_easy_setopt(h[i], CURLOPT_URL, u); curl_easy_setopt(h[i], CURLOPT_WRITEFUNCTION, sink); curl_easy_perform(h[i]); }
    sleep(1);
  }
  FILE *f = fopen("/proc/self/status", "r"); char line[256];
  while (fgets(line, sizeof line, f)) if (!strncmp(line, "VmRSS", 5) || !strncmp(line, "RssAnon", 7) || !strncmp(line, "RssFile", 7)) fputs(line, stdout);
  return 0;
}
