/*
 * Run statuses.  A run ends with the guest's own status (0..111 by convention: 0 = success)
 * or with one of these, which a level uses when it ends the run itself.  tools/run exits with
 * the status, tests compare it.  Plain #defines: included from assembly too.
 */
#ifndef KERNEL_STATUS_H
#define KERNEL_STATUS_H

#define STATUS_OK 0
#define STATUS_PANIC 112	  /* internal error in a level (a bug) */
#define STATUS_NO_GUEST 113	  /* no multiboot module to run as the guest */
#define STATUS_BAD_IMAGE 114	  /* the guest module is not a loadable multiboot image */
#define STATUS_NO_FEATURE 115	  /* the CPU lacks something matryoshka needs */
#define STATUS_TRIPLE_FAULT 116	  /* the guest triple-faulted (shutdown) */
#define STATUS_UNHANDLED_EXIT 117 /* the guest caused an exit this level cannot handle */
#define STATUS_SMP 118		  /* more than one CPU: not supported yet */
#define STATUS_BAD_OPTION 119	  /* a bad command-line option */
#define STATUS_NO_MEMORY 120	  /* the machine has too little memory for the nest */

#endif
