/* The sobel blob and test inputs, embedded in flash, 4-byte aligned. */
    .section .rodata.sobel_data, "a"
    .balign 4
    .global sobel_blob, sobel_blob_end
sobel_blob:
    .incbin "../blobs/sobel.cpn"
sobel_blob_end:
    .balign 4
    .global sobel_inputs, sobel_inputs_end
sobel_inputs:
    .incbin "../testsets/sobel.inputs.f32"
sobel_inputs_end:
