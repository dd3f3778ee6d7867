// Extended attributes (the C library; Swift's Glibc module leaves them out):
// the socket's POSIX ACL entry for the reader group.
#include <sys/xattr.h>
