/* Vector table and reset for the MPS2-AN386 (Cortex-M4F): enable the FPU, then newlib's rdimon
 * crt0 (`_start`) sets up the stack and .bss over semihosting, runs main and exits with its status. */
#include <stdint.h>

extern void _start(void);
extern uint32_t __stack_top;

void Reset_Handler(void) {
    /* CPACR: full access to CP10 and CP11 (the FPU) before any floating-point instruction. */
    *(volatile uint32_t *)0xE000ED88 |= 0xFu << 20;
    __asm volatile("dsb\n isb");
    _start();
    for (;;) {}
}

void Fault_Handler(void) {
    /* SYS_EXIT with ADP_Stopped_RunTimeErrorUnknown: QEMU exits with status 1. */
    __asm volatile("mov r0, #0x18\n ldr r1, =0x20023\n bkpt 0xab");
    for (;;) {}
}

__attribute__((section(".isr_vector"), used))
const void *const vectors[16] = {
    &__stack_top, Reset_Handler, Fault_Handler, Fault_Handler, Fault_Handler, Fault_Handler, Fault_Handler,
};
