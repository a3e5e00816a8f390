// glibc's mallopt(), which the Glibc Swift module does not export (Linux only).
#if defined(__linux__)
#include <malloc.h>
#endif
