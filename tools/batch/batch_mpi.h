/*
 * batch_mpi.h — `tendo batch --mpi`: the batch spread over MPI ranks.
 *
 * Rank 0 runs the batch engine (discovery, journal, outputs) and hands
 * jobs out one at a time, largest first, to whichever worker is free: the
 * other ranks, and a thread of its own so no core idles. Each job travels
 * as JSON and its result comes back as the same text a local worker
 * returns, so an MPI run writes exactly the outputs of a -j run. A bad
 * file fails its job on whatever rank, never the run.
 *
 * Waiting is done by polling with short sleeps rather than in blocking
 * MPI calls, which in Open MPI spin a core at 100%: ranks oversubscribed
 * on few cores would otherwise steal them from the ones working.
 */
#ifndef TENDO_BATCH_MPI_H
#define TENDO_BATCH_MPI_H

#include "batch.h"

/* MPI_Init_thread (funneled: only the main thread calls MPI). */
int batch_mpi_init(int *argc, char ***argv, int *rank, int *size, tendo_error *err);
/* Ends MPI on any rank: MPI_Finalize, or on rank 0 after an interrupted
 * run whose ranks may still be busy, MPI_Abort(exit_code), which ends
 * them all (their finished sessions are journaled: --resume continues). */
void batch_mpi_finish(int exit_code);

/* On ranks > 0: runs the jobs rank 0 sends until it says stop. */
int batch_mpi_serve(tendo_error *err);

/* On rank 0: the transport over ranks 1..size-1 and a local thread
 * (a batch_transport_factory; jobs and arg unused). */
int batch_mpi_factory(batch_transport *t, const batch_work *work, size_t ntodo, int jobs,
                      void *arg, tendo_error *err);

/* On rank 0: tells every rank still waiting to stop (after an error that
 * ended the batch before it scheduled anything). */
void batch_mpi_release(void);

#endif
