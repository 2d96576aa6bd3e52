/* SPDX-License-Identifier: ISC */
/* names.h - macro names whose values must agree between our headers
 * (tests/libc/headers.c) and glibc's (the tests), as X-macro lists. */
#ifndef CIRAGE_TEST_NAMES_H
#define CIRAGE_TEST_NAMES_H

#define ERRNO_NAMES(X)                                                                             \
	X(EPERM)                                                                                   \
	X(ENOENT)                                                                                  \
	X(ESRCH)                                                                                   \
	X(EINTR)                                                                                   \
	X(EIO)                                                                                     \
	X(ENXIO)                                                                                   \
	X(E2BIG)                                                                                   \
	X(ENOEXEC)                                                                                 \
	X(EBADF)                                                                                   \
	X(ECHILD)                                                                                  \
	X(EAGAIN)                                                                                  \
	X(ENOMEM)                                                                                  \
	X(EACCES)                                                                                  \
	X(EFAULT)                                                                                  \
	X(ENOTBLK)                                                                                 \
	X(EBUSY)                                                                                   \
	X(EEXIST)                                                                                  \
	X(EXDEV)                                                                                   \
	X(ENODEV)                                                                                  \
	X(ENOTDIR)                                                                                 \
	X(EISDIR)                                                                                  \
	X(EINVAL)                                                                                  \
	X(ENFILE)                                                                                  \
	X(EMFILE)                                                                                  \
	X(ENOTTY)                                                                                  \
	X(ETXTBSY)                                                                                 \
	X(EFBIG)                                                                                   \
	X(ENOSPC)                                                                                  \
	X(ESPIPE)                                                                                  \
	X(EROFS)                                                                                   \
	X(EMLINK)                                                                                  \
	X(EPIPE)                                                                                   \
	X(EDOM)                                                                                    \
	X(ERANGE)                                                                                  \
	X(EDEADLK)                                                                                 \
	X(ENAMETOOLONG)                                                                            \
	X(ENOLCK)                                                                                  \
	X(ENOSYS)                                                                                  \
	X(ENOTEMPTY)                                                                               \
	X(ELOOP)                                                                                   \
	X(EWOULDBLOCK)                                                                             \
	X(ENOMSG)                                                                                  \
	X(EIDRM)                                                                                   \
	X(ECHRNG)                                                                                  \
	X(EL2NSYNC)                                                                                \
	X(EL3HLT)                                                                                  \
	X(EL3RST)                                                                                  \
	X(ELNRNG)                                                                                  \
	X(EUNATCH)                                                                                 \
	X(ENOCSI)                                                                                  \
	X(EL2HLT)                                                                                  \
	X(EBADE)                                                                                   \
	X(EBADR)                                                                                   \
	X(EXFULL)                                                                                  \
	X(ENOANO)                                                                                  \
	X(EBADRQC)                                                                                 \
	X(EBADSLT)                                                                                 \
	X(EDEADLOCK)                                                                               \
	X(EBFONT)                                                                                  \
	X(ENOSTR)                                                                                  \
	X(ENODATA)                                                                                 \
	X(ETIME)                                                                                   \
	X(ENOSR)                                                                                   \
	X(ENONET)                                                                                  \
	X(ENOPKG)                                                                                  \
	X(EREMOTE)                                                                                 \
	X(ENOLINK)                                                                                 \
	X(EADV)                                                                                    \
	X(ESRMNT)                                                                                  \
	X(ECOMM)                                                                                   \
	X(EPROTO)                                                                                  \
	X(EMULTIHOP)                                                                               \
	X(EDOTDOT)                                                                                 \
	X(EBADMSG)                                                                                 \
	X(EOVERFLOW)                                                                               \
	X(ENOTUNIQ)                                                                                \
	X(EBADFD)                                                                                  \
	X(EREMCHG)                                                                                 \
	X(ELIBACC)                                                                                 \
	X(ELIBBAD)                                                                                 \
	X(ELIBSCN)                                                                                 \
	X(ELIBMAX)                                                                                 \
	X(ELIBEXEC)                                                                                \
	X(EILSEQ)                                                                                  \
	X(ERESTART)                                                                                \
	X(ESTRPIPE)                                                                                \
	X(EUSERS)                                                                                  \
	X(ENOTSOCK)                                                                                \
	X(EDESTADDRREQ)                                                                            \
	X(EMSGSIZE)                                                                                \
	X(EPROTOTYPE)                                                                              \
	X(ENOPROTOOPT)                                                                             \
	X(EPROTONOSUPPORT)                                                                         \
	X(ESOCKTNOSUPPORT)                                                                         \
	X(EOPNOTSUPP)                                                                              \
	X(ENOTSUP)                                                                                 \
	X(EPFNOSUPPORT)                                                                            \
	X(EAFNOSUPPORT)                                                                            \
	X(EADDRINUSE)                                                                              \
	X(EADDRNOTAVAIL)                                                                           \
	X(ENETDOWN)                                                                                \
	X(ENETUNREACH)                                                                             \
	X(ENETRESET)                                                                               \
	X(ECONNABORTED)                                                                            \
	X(ECONNRESET)                                                                              \
	X(ENOBUFS)                                                                                 \
	X(EISCONN)                                                                                 \
	X(ENOTCONN)                                                                                \
	X(ESHUTDOWN)                                                                               \
	X(ETOOMANYREFS)                                                                            \
	X(ETIMEDOUT)                                                                               \
	X(ECONNREFUSED)                                                                            \
	X(EHOSTDOWN)                                                                               \
	X(EHOSTUNREACH)                                                                            \
	X(EALREADY)                                                                                \
	X(EINPROGRESS)                                                                             \
	X(ESTALE)                                                                                  \
	X(EUCLEAN)                                                                                 \
	X(ENOTNAM)                                                                                 \
	X(ENAVAIL)                                                                                 \
	X(EISNAM)                                                                                  \
	X(EREMOTEIO)                                                                               \
	X(EDQUOT)                                                                                  \
	X(ENOMEDIUM)                                                                               \
	X(EMEDIUMTYPE)                                                                             \
	X(ECANCELED)                                                                               \
	X(ENOKEY)                                                                                  \
	X(EKEYEXPIRED)                                                                             \
	X(EKEYREVOKED)                                                                             \
	X(EKEYREJECTED)                                                                            \
	X(EOWNERDEAD)                                                                              \
	X(ENOTRECOVERABLE)                                                                         \
	X(ERFKILL)                                                                                 \
	X(EHWPOISON)

#define LIMIT_NAMES(X)                                                                             \
	X(CHAR_BIT)                                                                                \
	X(SCHAR_MIN) X(SCHAR_MAX) X(UCHAR_MAX) X(CHAR_MIN) X(CHAR_MAX) X(SHRT_MIN) X(SHRT_MAX)     \
	    X(USHRT_MAX) X(INT_MIN) X(INT_MAX) X(UINT_MAX) X(LONG_MIN) X(LONG_MAX) X(ULONG_MAX)    \
	        X(LLONG_MIN) X(LLONG_MAX) X(ULLONG_MAX) X(SSIZE_MAX) X(LONG_BIT) X(WORD_BIT)       \
	            X(O_RDONLY) X(O_WRONLY) X(O_RDWR) X(O_ACCMODE) X(O_CREAT) X(O_EXCL)            \
	                X(O_NOCTTY) X(O_TRUNC) X(O_APPEND) X(O_NONBLOCK) X(O_DIRECTORY)            \
	                    X(O_NOFOLLOW) X(O_CLOEXEC) X(EXIT_SUCCESS) X(EXIT_FAILURE) X(EOF)      \
	                        X(STDIN_FILENO) X(STDOUT_FILENO) X(STDERR_FILENO)

#define PRI_NAMES(X)                                                                               \
	X(PRId8)                                                                                   \
	X(PRId16) X(PRId32) X(PRId64) X(PRIdLEAST8) X(PRIdLEAST16) X(PRIdLEAST32) X(PRIdLEAST64)   \
	    X(PRIdFAST8) X(PRIdFAST16) X(PRIdFAST32) X(PRIdFAST64) X(PRIdMAX) X(PRIdPTR) X(PRIi8)  \
	        X(PRIi16) X(PRIi32) X(PRIi64) X(PRIiLEAST8) X(PRIiLEAST16) X(PRIiLEAST32) X(       \
	            PRIiLEAST64) X(PRIiFAST8) X(PRIiFAST16) X(PRIiFAST32) X(PRIiFAST64) X(PRIiMAX) \
	            X(PRIiPTR) X(PRIo8) X(PRIo16) X(PRIo32) X(PRIo64) X(PRIoLEAST8) X(PRIoLEAST16) \
	                X(PRIoLEAST32) X(PRIoLEAST64) X(PRIoFAST8) X(PRIoFAST16) X(PRIoFAST32)     \
	                    X(PRIoFAST64) X(PRIoMAX) X(PRIoPTR) X(PRIu8) X(PRIu16) X(PRIu32) X(    \
	                        PRIu64) X(PRIuLEAST8) X(PRIuLEAST16) X(PRIuLEAST32) X(PRIuLEAST64) \
	                        X(PRIuFAST8) X(PRIuFAST16) X(PRIuFAST32) X(PRIuFAST64) X(PRIuMAX)  \
	                            X(PRIuPTR) X(PRIx8) X(PRIx16) X(PRIx32) X(PRIx64)              \
	                                X(PRIxLEAST8) X(PRIxLEAST16) X(PRIxLEAST32) X(PRIxLEAST64) \
	                                    X(PRIxFAST8) X(PRIxFAST16) X(PRIxFAST32) X(PRIxFAST64) \
	                                        X(PRIxMAX) X(PRIxPTR) X(PRIX8) X(PRIX16) X(PRIX32) \
	                                            X(PRIX64) X(PRIXLEAST8) X(PRIXLEAST16)         \
	                                                X(PRIXLEAST32) X(PRIXLEAST64) X(PRIXFAST8) \
	                                                    X(PRIXFAST16) X(PRIXFAST32)            \
	                                                        X(PRIXFAST64) X(PRIXMAX)           \
	                                                            X(PRIXPTR)

#endif
